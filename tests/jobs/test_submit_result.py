"""submitResult: the solver, on time, the job's terms, a root with leaf N = outputHash."""

from helpers import event_args, reverts_with
from jobs.support import (
    HOUR,
    LATE,
    MATCHED,
    SUBMITTED,
    ZERO32,
    Trace,
    job_of,
    make_terms,
    next_tx_at,
    sleep_past,
)


def _submit(ctx, job, trace, sender=None, terms=None, proof=None, root=None, output=None):
    return ctx.job_market.submitResult(
        job.id,
        terms or job.terms,
        output or trace.output,
        root or trace.root,
        trace.proof(job.steps) if proof is None else proof,
        {"from": sender or ctx.provider},
    )


def test_revert_when_job_unknown(ctx, driver):
    job = driver.open()
    job.id = 999
    with reverts_with("JobMarket_UnexpectedStatus"):
        _submit(ctx, job, job.honest)


def test_revert_when_caller_not_provider(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_CallerNotProvider"):
        _submit(ctx, job, job.honest, sender=ctx.stranger)


def test_revert_when_terms_mismatch(ctx, driver):
    job = driver.open()
    other, _ = make_terms(steps=9)
    with reverts_with("JobMarket_TermsMismatch"):
        _submit(ctx, job, job.honest, terms=other)


def test_revert_when_trace_root_zero(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_ZeroTraceRoot"):
        _submit(ctx, job, job.honest, root=ZERO32)


def test_revert_when_output_not_leaf_n_of_the_trace(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_InvalidTraceProof"):
        _submit(
            ctx,
            job,
            job.honest,
            output="0x" + job.honest.hashes[job.steps - 1].hex(),
            proof=job.honest.proof(job.steps - 1),
        )


def test_revert_when_proof_is_for_another_root(ctx, driver):
    job = driver.open()
    other = Trace.of(job.workload, job.input, job.terms[2], job.steps, fault_from_step=2)
    with reverts_with("JobMarket_InvalidTraceProof"):
        _submit(ctx, job, job.honest, proof=other.proof(job.steps))


def test_revert_when_result_deadline_passed(ctx, driver):
    job = driver.open()
    sleep_past(job_of(ctx.job_market, job.id)["resultDeadline"])
    assert ctx.job_market.statusOf(job.id) == LATE
    with reverts_with("JobMarket_UnexpectedStatus"):
        _submit(ctx, job, job.honest)


def test_revert_when_submitted_twice(ctx, driver):
    job = driver.open()
    _submit(ctx, job, job.honest)
    with reverts_with("JobMarket_UnexpectedStatus"):
        _submit(ctx, job, job.honest)


def test_when_solver_submits_at_the_deadline_the_window_opens(ctx, driver):
    job = driver.open(window=2 * HOUR)
    deadline = job_of(ctx.job_market, job.id)["resultDeadline"]
    assert ctx.job_market.statusOf(job.id) == MATCHED
    next_tx_at(deadline)
    tx = _submit(ctx, job, job.honest)
    assert tx.timestamp == deadline
    assert event_args(tx, "ResultSubmitted") == {
        "jobId": job.id,
        "outputHash": job.honest.output,
        "traceRoot": job.honest.root,
        "windowEndsAt": tx.timestamp + 2 * HOUR,
    }
    stored = job_of(ctx.job_market, job.id)
    assert stored["status"] == SUBMITTED and stored["windowEndsAt"] == tx.timestamp + 2 * HOUR
    assert stored["outputHash"] == job.honest.output and stored["traceRoot"] == job.honest.root


def test_given_n_equals_one_the_output_proof_still_binds_leaf_one(ctx, driver):
    job = driver.open(steps=1)
    _submit(ctx, job, job.honest)
    assert ctx.job_market.statusOf(job.id) == SUBMITTED
