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
    job = driver.open_submitted()
    ctx.job_market.attest(job.id, job.terms, True, {"from": ctx.verifier})
    parties = (ctx.provider, ctx.treasury, ctx.verifier, ctx.tenant, ctx.job_market)
    before = {p: ctx.token.balanceOf(p) for p in parties}
    free_before = ctx.registry.provider(ctx.provider)["freeStake"]
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized") == {
        "jobId": job.id,
        "provider": ctx.provider,
        "toProvider": ESCROW - FEE - VFEE,
        "protocolFee": FEE,
        "verifierFee": VFEE,
        "tenantRefund": 0,
    }
    delta = {p: ctx.token.balanceOf(p) - before[p] for p in parties}
    assert delta == {
        ctx.provider: ESCROW - FEE - VFEE,
        ctx.treasury: 0,
        ctx.verifier: VFEE + VERIFIER_BOND,
        ctx.tenant: 0,
        ctx.job_market: -(ESCROW + VERIFIER_BOND) + FEE,
    }
    assert ctx.job_market.accruedFees() == FEE
    assert ctx.registry.provider(ctx.provider)["freeStake"] - free_before == COLLATERAL
    assert ctx.registry.provider(ctx.provider)["jobsFinalized"] == 1
    assert ctx.job_market.statusOf(job.id) == FINALIZED


def test_when_finalized_without_a_verifier_the_unearned_fee_goes_back_to_the_tenant(ctx, driver):
    job = driver.open_submitted()
    before = {p: ctx.token.balanceOf(p) for p in (ctx.provider, ctx.tenant)}
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["tenantRefund"] == VFEE
    assert ctx.token.balanceOf(ctx.provider) - before[ctx.provider] == ESCROW - FEE - VFEE
    assert ctx.token.balanceOf(ctx.tenant) - before[ctx.tenant] == VFEE


@pytest.mark.parametrize("escrow", [1, 99, 10**8 + 37])
def test_rounding_never_pays_out_more_than_the_escrow(ctx, driver, escrow):
    job = driver.open_submitted(deposit=max(escrow + MATCH_FEE, DEPOSIT))
    escrow = job_of(ctx.job_market, job.id)["escrow"]
    ctx.job_market.attest(job.id, job.terms, True, {"from": ctx.verifier})
    tx = driver.finalize_after_window(job)
    paid = event_args(tx, "JobFinalized")
    assert paid["toProvider"] + paid["protocolFee"] + paid["verifierFee"] + paid["tenantRefund"] == escrow


def test_the_solver_is_paid_nothing_before_the_window_closes_undisputed(ctx, driver):
    """PROTOCOL §7 invariant 9, across a verifier's restart and a lost challenge."""
    job = driver.open_submitted()
    start = ctx.token.balanceOf(ctx.provider)
    ctx.job_market.attest(job.id, job.terms, True, {"from": ctx.verifier})
    driver.challenge(job, ctx.stranger)
    driver.bisect(job, agree=False)
    driver.prove(job)
    compensation = ctx.token.balanceOf(ctx.provider) - start
    assert compensation == 25 * 10**6  # the false challenger's forfeited half, not the price
    next_tx_at(job_of(ctx.job_market, job.id)["windowEndsAt"] - 1)
    with reverts_with("JobMarket_UnexpectedStatus"):
        ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})
    assert ctx.token.balanceOf(ctx.provider) - start == compensation
    sleep_to(job_of(ctx.job_market, job.id)["windowEndsAt"])
    ctx.job_market.finalizeJob(job.id, {"from": ctx.stranger})
    assert ctx.token.balanceOf(ctx.provider) - start == compensation + ESCROW - FEE - VFEE
