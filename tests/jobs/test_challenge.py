"""challenge: anyone but the solver, inside the window, one dispute at a time, the window paused
and resumed, later challenges after a lost one, none after the window."""

import brownie

from helpers import event_args, reverts_with
from jobs.support import (
    CHALLENGE_BOND,
    DISPUTED,
    FINALIZABLE,
    HOUR,
    MOVE_TIMEOUT,
    PROVE,
    REVEAL,
    SLASHED,
    SOLVER_WON,
    SUBMITTED,
    dispute_of,
    job_of,
    make_terms,
    sleep_past,
    sleep_to,
)


def test_revert_when_challenger_is_the_provider(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("JobMarket_ChallengerIsProvider"):
        driver.challenge(job, ctx.provider)


def test_revert_when_terms_mismatch(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("JobMarket_TermsMismatch"):
        ctx.job_market.challenge(job.id, make_terms(steps=5)[0], {"from": ctx.challenger})


def test_revert_when_no_result(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_UnexpectedStatus"):
        driver.challenge(job)


def test_revert_when_window_closed(ctx, driver):
    job = driver.open_submitted()
    sleep_to(job_of(ctx.job_market, job.id)["windowEndsAt"])
    assert ctx.job_market.statusOf(job.id) == FINALIZABLE
    with reverts_with("JobMarket_UnexpectedStatus"):
        driver.challenge(job)


def test_revert_when_a_dispute_is_open(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    with reverts_with("JobMarket_UnexpectedStatus"):
        driver.challenge(job, ctx.stranger)


def test_when_anyone_challenges_the_dispute_starts_over_the_whole_trace(ctx, driver):
    job = driver.open_submitted(steps=13)
    brownie.chain.sleep(600)
    before = ctx.token.balanceOf(ctx.stranger)
    tx = driver.challenge(job, ctx.stranger)
    assert event_args(tx, "DisputeOpened") == {
        "jobId": job.id,
        "challenger": ctx.stranger,
        "number": 1,
        "bond": CHALLENGE_BOND,
        "phase": REVEAL,
        "deadline": tx.timestamp + MOVE_TIMEOUT,
    }
    d = dispute_of(ctx.job_market, job.id)
    assert (d["lo"], d["hi"], d["hLo"], d["hHi"]) == (0, 13, job.terms[1], job.honest.output)
    assert d["windowLeft"] == job_of(ctx.job_market, job.id)["windowEndsAt"] - tx.timestamp
    assert ctx.job_market.statusOf(job.id) == DISPUTED
    assert before - ctx.token.balanceOf(ctx.stranger) == CHALLENGE_BOND


def test_given_one_step_the_dispute_starts_at_the_proof(ctx, driver):
    job = driver.open_submitted(steps=1)
    tx = driver.challenge(job)
    assert event_args(tx, "DisputeOpened")["phase"] == PROVE


def test_given_a_lost_challenge_the_window_resumes_and_a_second_challenger_wins(ctx, driver):
    """A fake challenger losing on purpose cannot shut out an honest one."""
    job = driver.open_submitted(fault_from_step=5, steps=8, window=HOUR)
    brownie.chain.sleep(HOUR - 120)
    driver.challenge(job, ctx.stranger)  # colludes: disputes every midpoint, so step 0 is judged
    driver.bisect(job, agree=False)
    tx = driver.prove(job)
    resolved = event_args(tx, "DisputeResolved")
    assert resolved["result"] == SOLVER_WON
    # Less than two minutes were left; the window reopens for at least one move timeout.
    assert resolved["windowEndsAt"] == tx.timestamp + MOVE_TIMEOUT
    assert ctx.job_market.statusOf(job.id) == SUBMITTED
    tx = driver.challenge(job, ctx.challenger)
    assert event_args(tx, "DisputeOpened")["number"] == 2
    driver.bisect(job)
    driver.prove(job)
    assert ctx.job_market.statusOf(job.id) == SLASHED


def test_given_a_lost_challenge_with_time_left_the_window_keeps_it(ctx, driver):
    job = driver.open_submitted(window=3 * HOUR)
    tx = driver.challenge(job, ctx.stranger)
    left = dispute_of(ctx.job_market, job.id)["windowLeft"]
    assert left == 3 * HOUR - (tx.timestamp - (job_of(ctx.job_market, job.id)["windowEndsAt"] - 3 * HOUR))
    driver.bisect(job, view=job.solver)
    tx = driver.prove(job)
    assert job_of(ctx.job_market, job.id)["windowEndsAt"] == tx.timestamp + left


def test_given_the_window_closed_after_a_dispute_no_new_challenge(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job, ctx.stranger)
    driver.bisect(job, view=job.solver)
    driver.prove(job)
    sleep_past(job_of(ctx.job_market, job.id)["windowEndsAt"])
    with reverts_with("JobMarket_UnexpectedStatus"):
        driver.challenge(job)
