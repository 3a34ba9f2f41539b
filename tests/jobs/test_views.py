"""statusOf (derived), nextMove (whose turn, until when), getJob, disputeOf, constants."""

from helpers import ZERO_ADDRESS
from jobs.support import (
    FINALIZABLE,
    LATE,
    MATCHED,
    MATVEC256,
    NONE,
    P_NONE,
    PROVE,
    RESPOND,
    REVEAL,
    SUBMITTED,
    VOTE,
    job_of,
    sleep_past,
    sleep_to,
)


def test_status_of_an_unknown_job_is_none(ctx):
    assert ctx.job_market.statusOf(12345) == NONE


def test_status_moves_to_late_and_finalizable_with_the_clock(ctx, driver):
    job = driver.open()
    assert ctx.job_market.statusOf(job.id) == MATCHED
    sleep_past(job_of(ctx.job_market, job.id)["resultDeadline"])
    assert ctx.job_market.statusOf(job.id) == LATE
    other = driver.open_submitted()
    assert ctx.job_market.statusOf(other.id) == SUBMITTED
    sleep_to(job_of(ctx.job_market, other.id)["windowEndsAt"])
    assert ctx.job_market.statusOf(other.id) == FINALIZABLE


def test_next_move_names_whose_turn_it_is(ctx, driver):
    job = driver.open_submitted(steps=2)
    assert tuple(ctx.job_market.nextMove(job.id)) == (P_NONE, 0, ZERO_ADDRESS)
    tx = driver.challenge(job)
    assert tuple(ctx.job_market.nextMove(job.id)) == (REVEAL, tx.timestamp + 3600, ctx.provider)
    tx = driver.reveal(job)
    assert tuple(ctx.job_market.nextMove(job.id)) == (RESPOND, tx.timestamp + 3600, ctx.challenger)
    tx = driver.respond(job, agree=False)
    assert tuple(ctx.job_market.nextMove(job.id)) == (PROVE, tx.timestamp + 3600, ctx.provider)


def test_next_move_of_a_vote_names_no_single_mover(ctx, driver):
    job = driver.open_submitted(workload=MATVEC256, steps=1)
    tx = driver.challenge(job)
    assert tuple(ctx.job_market.nextMove(job.id)) == (VOTE, tx.timestamp + 3600, ZERO_ADDRESS)


def test_constants_and_wiring(ctx):
    jm = ctx.job_market
    assert jm.MIN_CHALLENGE_WINDOW_SECONDS() == 600
    assert jm.MIN_RESULT_TIMEOUT_SECONDS() == 60
    assert jm.MAX_RESULT_TIMEOUT_SECONDS() == 30 * 86_400
    assert (jm.config(), jm.registry(), jm.paymentToken(), jm.market()) == (
        ctx.config,
        ctx.registry,
        ctx.token,
        ctx.market,
    )


def test_constructor_refuses_a_zero_address(JobMarket, ctx):
    from helpers import reverts_with

    with reverts_with("Leasehold_ZeroAddress"):
        JobMarket.deploy(ctx.config, ctx.registry, ctx.token, ZERO_ADDRESS, {"from": ctx.governance})
