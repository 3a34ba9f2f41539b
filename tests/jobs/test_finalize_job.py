"""finalizeJob: only after the window closed undisputed; the payout split; once."""

import brownie
import pytest

from helpers import event_args, reverts_with
from jobs.support import (
    COLLATERAL,
    DEPOSIT,
    ESCROW,
    FINALIZED,
    MATCH_FEE,
    PROTOCOL_FEE_BPS,
    SETTLE_BOUNTY,
    SLASHED,
    VERIFIER_BOND,
    VERIFIER_FEE_BPS,
    job_of,
    next_tx_at,
    sleep_past,
    sleep_to,
)

FEE = ESCROW * PROTOCOL_FEE_BPS // 10_000
VFEE = ESCROW * VERIFIER_FEE_BPS // 10_000


def test_revert_when_window_open(ctx, driver):
    job = driver.open_submitted()
    next_tx_at(job_of(ctx.job_market, job.id)["windowEndsAt"] - 1)
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})


def test_revert_when_no_result(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})


def test_revert_when_disputed_even_after_the_window(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    sleep_past(job_of(ctx.job_market, job.id)["windowEndsAt"])
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})


def test_revert_when_finalized_twice(ctx, driver):
    job = driver.open_submitted()
    driver.finalize_after_window(job)
    with brownie.reverts(revert_pattern=rf"JobMarket_UnexpectedStatus: {job.id}, {FINALIZED}"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})


def test_revert_when_slashed(ctx, driver):
    job = driver.open_submitted(fault_from_step=1)
    driver.challenge(job)
    driver.bisect(job)
    driver.prove(job)
    sleep_past(job_of(ctx.job_market, job.id)["windowEndsAt"])
    with brownie.reverts(revert_pattern=rf"JobMarket_UnexpectedStatus: {job.id}, {SLASHED}"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})


def test_when_finalized_with_a_valid_attestation(ctx, driver):
    """The pool is empty: the sampled verifier is paid the job's own levy, and its bond back, both
    credited (its standing balance, which its next claim's bond is taken from)."""
    job = driver.open_drawn()
    driver.attest_valid(job)
    parties = (ctx.provider, ctx.treasury, ctx.verifier, ctx.tenant, ctx.stranger, ctx.job_market)
    before = {p: ctx.token.balanceOf(p) for p in parties}
    free_before = ctx.registry.provider(ctx.provider)["freeStake"]
    tx = driver.finalize_after_window(job)  # by a stranger, paid the settle bounty
    assert event_args(tx, "JobFinalized") == {
        "jobId": job.id,
        "provider": ctx.provider,
        "toProvider": ESCROW - FEE - VFEE,
        "protocolFee": FEE,
        "verifierLevy": VFEE,
        "toVerifier": VFEE,
    }
    delta = {p: ctx.token.balanceOf(p) - before[p] for p in parties}
    assert delta == {
        ctx.provider: ESCROW - FEE - VFEE,
        ctx.treasury: 0,
        ctx.verifier: 0,
        ctx.tenant: 0,
        ctx.stranger: SETTLE_BOUNTY,
        ctx.job_market: -(ESCROW + SETTLE_BOUNTY) + FEE + VFEE,
    }
    assert ctx.job_market.creditOf(ctx.verifier) == VFEE + VERIFIER_BOND
    assert event_args(tx, "PaymentCredited") == {"account": ctx.verifier, "amount": VFEE + VERIFIER_BOND}
    assert event_args(tx, "SettleBountyPaid") == {"jobId": job.id, "recipient": ctx.stranger, "bounty": SETTLE_BOUNTY}
    assert ctx.job_market.accruedFees() == FEE
    assert ctx.registry.provider(ctx.provider)["freeStake"] - free_before == COLLATERAL
    assert ctx.registry.provider(ctx.provider)["jobsFinalized"] == 1
    assert ctx.job_market.statusOf(job.id) == FINALIZED


def test_when_finalized_without_a_verifier_the_levy_joins_the_verifier_pool(ctx, driver):
    job = driver.open_submitted()
    before = {p: ctx.token.balanceOf(p) for p in (ctx.provider, ctx.tenant)}
    pool = ctx.job_market.verifierPool()
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["toVerifier"] == 0
    assert ctx.token.balanceOf(ctx.provider) - before[ctx.provider] == ESCROW - FEE - VFEE
    assert ctx.token.balanceOf(ctx.tenant) == before[ctx.tenant]
    assert ctx.job_market.verifierPool() - pool == VFEE


@pytest.mark.parametrize("escrow", [1, 99, 10**8 + 37])
def test_rounding_never_pays_out_more_than_the_escrow(ctx, driver, escrow):
    job = driver.open_submitted(deposit=max(escrow + MATCH_FEE, DEPOSIT))
    escrow = job_of(ctx.job_market, job.id)["escrow"]
    pool = ctx.job_market.verifierPool()
    tx = driver.finalize_after_window(job)
    paid = event_args(tx, "JobFinalized")
    assert paid["toProvider"] + paid["protocolFee"] + paid["verifierLevy"] == escrow
    assert ctx.job_market.verifierPool() - pool == paid["verifierLevy"]


def test_the_solver_is_paid_nothing_before_the_window_closes_undisputed(ctx, driver):
    """PROTOCOL §7 invariant 9, across a verifier's restart and a lost challenge."""
    job = driver.open_drawn()
    start = ctx.token.balanceOf(ctx.provider)
    driver.attest_valid(job)
    driver.challenge(job, ctx.stranger)
    driver.bisect(job, agree=False)
    driver.prove(job)
    compensation = ctx.token.balanceOf(ctx.provider) - start
    # The false challenger's forfeited half, not the price; the provider ended the game by its proof,
    # so it is paid the settle bounty from the treasury's half.
    assert compensation == 25 * 10**6 + SETTLE_BOUNTY
    next_tx_at(job_of(ctx.job_market, job.id)["windowEndsAt"] - 1)
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})
    assert ctx.token.balanceOf(ctx.provider) - start == compensation
    sleep_to(job_of(ctx.job_market, job.id)["windowEndsAt"])
    ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})
    assert ctx.token.balanceOf(ctx.provider) - start == compensation + ESCROW - FEE - VFEE


def test_given_governance_raises_both_fees_mid_job_the_pay_is_the_one_agreed_at_the_match(ctx, driver):
    """Issue 12, attack 7: the fees are fixed when the job is matched, as a lease's protocol fee is."""
    job = driver.open_drawn()
    driver.attest_valid(job)
    params = list(ctx.config.params())
    params[0], params[5] = 1_000, 3_000  # protocolFeeBps and verifierFeeBps at their upper bounds
    ctx.config.setParams(params, {"from": ctx.governance})
    before = ctx.token.balanceOf(ctx.provider)
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["toProvider"] == ESCROW - FEE - VFEE  # 87 USD, not 60
    assert ctx.token.balanceOf(ctx.provider) - before == ESCROW - FEE - VFEE
