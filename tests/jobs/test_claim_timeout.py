"""claimTimeout: the side that moved last wins when the other misses its deadline."""

from helpers import event_args, reverts_with
from jobs.support import (
    CHALLENGER_WON,
    MATVEC256,
    SLASHED,
    SOLVER_WON,
    SUBMITTED,
    dispute_of,
    next_tx_at,
    sleep_past,
)


def _timeout(ctx, job):
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    return ctx.job_market.claimTimeout(job.id, {"from": ctx.stranger})


def test_when_solver_misses_a_reveal_the_challenger_wins(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    tx = _timeout(ctx, job)
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON
    assert ctx.job_market.statusOf(job.id) == SLASHED


def test_when_solver_misses_a_later_reveal_the_challenger_wins(ctx, driver):
    job = driver.open_submitted(steps=13)
    driver.challenge(job)
    driver.reveal(job)
    driver.respond(job)
    tx = _timeout(ctx, job)
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON


def test_when_challenger_misses_a_response_the_solver_wins(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    driver.reveal(job)
    tx = _timeout(ctx, job)
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    assert ctx.job_market.statusOf(job.id) == SUBMITTED


def test_when_solver_misses_the_final_proof_the_challenger_wins(ctx, driver):
    job = driver.open_submitted(steps=5)
    driver.challenge(job)
    driver.bisect(job)
    tx = _timeout(ctx, job)
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON


def test_revert_when_deadline_not_passed(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    next_tx_at(dispute_of(ctx.job_market, job.id)["deadline"])
    with reverts_with("JobMarket_MoveDeadlineNotPassed"):
        ctx.job_market.claimTimeout(job.id, {"from": ctx.stranger})


def test_revert_when_no_dispute(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("JobMarket_UnexpectedPhase"):
        ctx.job_market.claimTimeout(job.id, {"from": ctx.stranger})


def test_revert_when_arbiters_are_voting(ctx, driver):
    job = driver.open_submitted(workload=MATVEC256, steps=1)
    driver.challenge(job)
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    with reverts_with("JobMarket_UnexpectedPhase"):
        ctx.job_market.claimTimeout(job.id, {"from": ctx.stranger})


def test_revert_when_claimed_twice(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    _timeout(ctx, job)
    with reverts_with("JobMarket_UnexpectedPhase"):
        ctx.job_market.claimTimeout(job.id, {"from": ctx.stranger})
