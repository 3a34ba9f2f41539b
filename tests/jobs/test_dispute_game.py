"""The bisection game over real traces: hashchain and matvec, N = 5, 8, 13; honest solvers against
wrong challengers, cheating solvers against honest challengers, disagreement at the first, a
middle and the last step; the reveal, respond and proveStep checks."""

import pytest

from helpers import event_args, reverts_with
from jobs.support import (
    CHALLENGER_WON,
    HASHCHAIN,
    MATVEC,
    PROVE,
    RESPOND,
    REVEAL,
    SLASHED,
    SOLVER_WON,
    SUBMITTED,
    dispute_of,
    h,
    make_terms,
    rounds_for,
    sleep_past,
)

WORKLOADS = [HASHCHAIN, MATVEC]


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("steps", [5, 8, 13])
def test_given_a_cheating_solver_the_honest_challenger_wins(ctx, driver, workload, steps):
    for fault in sorted({1, (steps + 1) // 2, steps}):  # the first, a middle and the last step
        job = driver.open_submitted(fault_from_step=fault, workload=workload, steps=steps)
        driver.challenge(job)
        rounds = driver.bisect(job)
        assert rounds <= rounds_for(steps)
        d = dispute_of(ctx.job_market, job.id)
        assert (d["lo"], d["hi"], d["phase"]) == (fault - 1, fault, PROVE)
        tx = driver.prove(job)
        assert event_args(tx, "StepProven") == {"jobId": job.id, "stepIndex": fault - 1, "solverCorrect": False}
        assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON
        assert ctx.job_market.statusOf(job.id) == SLASHED


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("steps", [5, 13])
def test_given_an_honest_solver_a_wrong_challenger_loses_wherever_it_leads(ctx, driver, workload, steps):
    # A challenger believing a trace corrupted from step k disputes the honest midpoints from k.
    for wrong_from in sorted({1, steps // 2, steps}):
        job = driver.open_submitted(workload=workload, steps=steps)
        from jobs.support import Trace

        belief = Trace.of(workload, job.input, job.terms[2], steps, fault_from_step=wrong_from)
        driver.challenge(job)
        assert driver.bisect(job, view=belief) <= rounds_for(steps)
        tx = driver.prove(job)
        assert event_args(tx, "StepProven")["solverCorrect"] is True
        assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
        assert ctx.job_market.statusOf(job.id) == SUBMITTED


def test_anyone_may_prove_the_step_for_the_solver(ctx, driver):
    job = driver.open_submitted(steps=5)
    driver.challenge(job)
    driver.bisect(job, agree=False)
    tx = driver.prove(job, sender=ctx.stranger)
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON


def test_given_an_invalid_state_that_matches_the_agreed_hash_the_challenger_wins(ctx, driver):
    """A solver whose trace holds the hash of a malformed state cannot prove a step from it."""
    from keepers.workloads.base import keccak256
    from keepers.workloads.trace import TraceTree

    from jobs.support import Trace

    job = driver.open(steps=4)
    bad_state = b"\x01" * 31  # not a hashchain state (32 bytes)
    hashes = list(job.honest.hashes)
    hashes[2] = keccak256(bad_state)
    job.solver = Trace(list(job.honest.states), hashes, TraceTree(hashes))
    job.solver.states[2] = bad_state
    ctx.job_market.submitResult(
        job.id, job.terms, job.solver.output, job.solver.root, job.solver.proof(4), {"from": ctx.provider}
    )
    driver.challenge(job)
    driver.reveal(job)
    driver.respond(job, agree=True)  # [2, 4]: a careless challenger accepts h_2
    driver.reveal(job)
    driver.respond(job, agree=False)  # [2, 3]
    tx = driver.prove(job)
    assert event_args(tx, "StepProven") == {"jobId": job.id, "stepIndex": 2, "solverCorrect": False}
    assert ctx.job_market.statusOf(job.id) == SLASHED


def test_revert_reveal_when_caller_not_provider(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    with reverts_with("JobMarket_CallerNotProvider"):
        ctx.job_market.reveal(job.id, h(job.honest.hashes[4]), job.honest.proof(4), {"from": ctx.stranger})


def test_revert_reveal_when_proof_not_for_the_midpoint(ctx, driver):
    job = driver.open_submitted(steps=8)
    driver.challenge(job)
    with reverts_with("JobMarket_InvalidTraceProof"):
        ctx.job_market.reveal(job.id, h(job.honest.hashes[3]), job.honest.proof(3), {"from": ctx.provider})


def test_revert_reveal_when_not_its_turn(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("JobMarket_UnexpectedPhase"):
        ctx.job_market.reveal(job.id, h(job.honest.hashes[4]), job.honest.proof(4), {"from": ctx.provider})
    driver.challenge(job)
    driver.reveal(job)
    with reverts_with("JobMarket_UnexpectedPhase"):
        driver.reveal(job)


def test_revert_reveal_after_its_deadline(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    with reverts_with("JobMarket_MoveDeadlinePassed"):
        driver.reveal(job)


def test_when_solver_reveals(ctx, driver):
    job = driver.open_submitted(steps=13)
    driver.challenge(job)
    tx = driver.reveal(job)
    assert event_args(tx, "MidpointRevealed") == {
        "jobId": job.id,
        "index": 6,
        "stateHash": h(job.honest.hashes[6]),
        "deadline": tx.timestamp + 3600,
    }
    d = dispute_of(ctx.job_market, job.id)
    assert d["phase"] == RESPOND and d["hMid"] == h(job.honest.hashes[6])


def test_revert_respond_when_caller_not_challenger(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    driver.reveal(job)
    with reverts_with("JobMarket_CallerNotChallenger"):
        ctx.job_market.respond(job.id, True, {"from": ctx.stranger})


def test_revert_respond_when_not_its_turn(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    with reverts_with("JobMarket_UnexpectedPhase"):
        ctx.job_market.respond(job.id, True, {"from": ctx.challenger})


def test_revert_respond_after_its_deadline(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    driver.reveal(job)
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    with reverts_with("JobMarket_MoveDeadlinePassed"):
        driver.respond(job)


@pytest.mark.parametrize("agree", [True, False])
def test_when_challenger_responds_the_interval_halves(ctx, driver, agree):
    job = driver.open_submitted(steps=13)
    driver.challenge(job)
    driver.reveal(job)
    tx = driver.respond(job, agree=agree)
    lo, hi = (6, 13) if agree else (0, 6)
    assert event_args(tx, "MidpointAnswered") == {
        "jobId": job.id,
        "agreed": agree,
        "lo": lo,
        "hi": hi,
        "phase": REVEAL,
        "deadline": tx.timestamp + 3600,
    }
    d = dispute_of(ctx.job_market, job.id)
    assert (d["lo"], d["hi"]) == (lo, hi)
    assert (d["hLo"] if agree else d["hHi"]) == h(job.honest.hashes[6])


def test_revert_prove_when_state_does_not_hash_to_h_lo(ctx, driver):
    job = driver.open_submitted(steps=5)
    driver.challenge(job)
    driver.bisect(job, agree=False)
    with reverts_with("JobMarket_StateHashMismatch"):
        driver.prove(job, state=job.honest.states[1])


def test_revert_prove_when_terms_mismatch(ctx, driver):
    job = driver.open_submitted(steps=5)
    driver.challenge(job)
    driver.bisect(job, agree=False)
    with reverts_with("JobMarket_TermsMismatch"):
        ctx.job_market.proveStep(job.id, make_terms(steps=6)[0], job.input, {"from": ctx.provider})


def test_revert_prove_when_not_at_the_last_step(ctx, driver):
    job = driver.open_submitted(steps=5)
    driver.challenge(job)
    with reverts_with("JobMarket_UnexpectedPhase"):
        driver.prove(job)


def test_revert_prove_after_its_deadline(ctx, driver):
    job = driver.open_submitted(steps=2)
    driver.challenge(job)
    driver.bisect(job, agree=False)
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    with reverts_with("JobMarket_MoveDeadlinePassed"):
        driver.prove(job)
