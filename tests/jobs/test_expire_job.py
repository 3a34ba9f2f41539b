"""expireJob: only LATE jobs; the tenant refunded in full, a small slash shared with the tenant, the caller
paid the settle bounty (no finder's share: docs/verification.md, self-reports)."""

from helpers import event_args, reverts_with
from jobs.support import (
    COLLATERAL,
    ESCROW,
    EXPIRED,
    LATE_RESULT,
    LATE_SLASH_BPS,
    SETTLE_BOUNTY,
    TENANT_COMP_BPS,
    job_of,
    next_tx_at,
    sleep_past,
)

SLASH = COLLATERAL * LATE_SLASH_BPS // 10_000


def test_revert_when_deadline_not_passed(ctx, driver):
    job = driver.open()
    next_tx_at(job_of(ctx.job_market, job.id)["resultDeadline"])
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.expireJob(job.id, {"from": ctx.stranger})


def test_revert_when_result_submitted(ctx, driver):
    job = driver.open()
    deadline = job_of(ctx.job_market, job.id)["resultDeadline"]  # 0 in the view once the result is in
    driver.submit(job)
    sleep_past(deadline)
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.expireJob(job.id, {"from": ctx.stranger})


def test_when_anyone_expires_a_late_job(ctx, driver):
    job = driver.open()
    sleep_past(job_of(ctx.job_market, job.id)["resultDeadline"])
    token, stranger, tenant, treasury = ctx.token, ctx.stranger, ctx.tenant, ctx.treasury
    before = {a: token.balanceOf(a) for a in (stranger, tenant, treasury, ctx.job_market)}
    tx = ctx.job_market.expireJob(job.id, {"from": stranger})
    assert event_args(tx, "JobExpired") == {"jobId": job.id, "caller": stranger, "refunded": ESCROW, "slashed": SLASH}
    slashed = event_args(tx, "ProviderSlashed")
    assert slashed["reason"] == LATE_RESULT and slashed["slashed"] == SLASH
    assert slashed["toWhistleblower"] == 0
    assert token.balanceOf(stranger) - before[stranger] == SETTLE_BOUNTY
    assert token.balanceOf(tenant) - before[tenant] == ESCROW + SLASH * TENANT_COMP_BPS // 10_000
    assert before[ctx.job_market] - token.balanceOf(ctx.job_market) == ESCROW + SETTLE_BOUNTY
    assert ctx.job_market.statusOf(job.id) == EXPIRED
    provider = ctx.registry.provider(ctx.provider)
    assert provider["lockedStake"] == 0  # the collateral left is free again


def test_given_the_provider_expires_its_own_job_it_earns_nothing(ctx, driver):
    job = driver.open()
    sleep_past(job_of(ctx.job_market, job.id)["resultDeadline"])
    before = ctx.token.balanceOf(ctx.provider)
    stake_before = ctx.registry.provider(ctx.provider)["freeStake"] + ctx.registry.provider(ctx.provider)["lockedStake"]
    tx = ctx.job_market.expireJob(job.id, {"from": ctx.provider})
    assert event_args(tx, "ProviderSlashed")["toWhistleblower"] == 0
    # The settle bounty for its gas, against the slash: a loss.
    assert ctx.token.balanceOf(ctx.provider) - before == SETTLE_BOUNTY
    stake_after = ctx.registry.provider(ctx.provider)["freeStake"] + ctx.registry.provider(ctx.provider)["lockedStake"]
    assert stake_before - stake_after == SLASH > SETTLE_BOUNTY


def test_revert_when_expired_twice(ctx, driver):
    job = driver.open()
    sleep_past(job_of(ctx.job_market, job.id)["resultDeadline"])
    ctx.job_market.expireJob(job.id, {"from": ctx.stranger})
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.expireJob(job.id, {"from": ctx.stranger})
