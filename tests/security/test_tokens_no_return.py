"""A USDT-like token returns nothing from transfer, transferFrom and approve. SafeERC20 accepts
the empty return, so the whole protocol works with it: every deposit, stake, match fee, payout,
refund and slash share moves exactly once, and a failing transfer still reverts."""

import brownie
import pytest
from brownie import chain

from helpers import event_args
from jobs.support import HOUR
from security.token_support import (
    DEPOSIT,
    JOB_DEPOSIT,
    STAKE,
    assert_books,
    open_job,
    open_lease,
    protocol,
    rental_spec,
    submit_honest,
)


@pytest.fixture(scope="module")
def p(NoReturnToken, accounts):
    return protocol(NoReturnToken.deploy({"from": accounts[0]}), accounts)


def test_stake_is_pulled_exactly(p):
    assert p.registry.totalStake() == STAKE
    assert p.token.balanceOf(p.registry) == STAKE


def test_lease_pays_matcher_provider_treasury_and_tenant_once(p):
    tenant_before = p.token.balanceOf(p.tenant)
    lease = open_lease(p, p.offer)
    match_fee = p.market.creditOf(p.matcher)
    assert match_fee == p.config.params()["matchFee"]
    chain.sleep(HOUR)
    withdrawn = event_args(p.market.withdrawEarnings(lease, {"from": p.provider}), "EarningsWithdrawn")
    chain.sleep(HOUR)

    closed = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")

    assert p.token.balanceOf(p.provider) == withdrawn["amount"] + closed["paid"]
    assert p.market.accruedFees() == withdrawn["fee"] + closed["fee"]
    assert p.token.balanceOf(p.tenant) == tenant_before - DEPOSIT + closed["refunded"] + closed["bounty"]
    paid_out = match_fee + withdrawn["amount"] + withdrawn["fee"] + closed["paid"] + closed["fee"]
    assert paid_out + closed["refunded"] + closed["bounty"] == DEPOSIT
    assert_books(p, {})
    p.market.sweepFees({"from": p.stranger})
    assert p.token.balanceOf(p.treasury) == withdrawn["fee"] + closed["fee"]
    assert p.market.accruedFees() == 0
    assert_books(p, {})


def test_cancel_refunds_the_whole_deposit(p):
    before = p.token.balanceOf(p.tenant)
    request_id = p.market.createRequest(rental_spec(), DEPOSIT, {"from": p.tenant}).return_value
    p.market.cancelRequest(request_id, {"from": p.tenant})
    assert p.token.balanceOf(p.tenant) == before
    assert_books(p, {})


def test_unstake_pays_the_provider(p):
    p.registry.requestUnstake(STAKE, {"from": p.provider})
    chain.sleep(p.config.params()["unbondingPeriodSeconds"] + 1)
    p.registry.withdrawUnstaked({"from": p.provider})
    assert p.token.balanceOf(p.provider) == STAKE
    assert p.token.balanceOf(p.registry) == 0


def test_liveness_slash_pays_every_share(p):
    lease = open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    p.market.challengeLiveness(lease, {"from": p.challenger})
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    tenant_before = p.token.balanceOf(p.tenant)
    treasury_before = p.token.balanceOf(p.treasury)

    tx = p.market.resolveLiveness(lease, {"from": p.stranger})

    slash = event_args(tx, "ProviderSlashed")
    closed = event_args(tx, "LeaseClosed")
    assert slash["slashed"] == slash["toWhistleblower"] + slash["toTenant"] + slash["toTreasury"]
    assert p.token.balanceOf(p.tenant) == tenant_before + slash["toTenant"] + closed["refunded"]
    assert p.token.balanceOf(p.treasury) == treasury_before + slash["toTreasury"]
    assert p.market.accruedFees() == closed["fee"]
    assert p.registry.totalStake() == STAKE - slash["slashed"]
    assert_books(p, {})


def test_job_finalize_pays_every_party(p):
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider=p.provider)
    chain.sleep(HOUR + 1)
    tenant_before = p.token.balanceOf(p.tenant)

    done = event_args(p.job_market.finalizeJob(job_id, {"from": p.stranger}), "JobFinalized")

    assert p.token.balanceOf(p.provider) == done["toProvider"]
    assert (
        done["toProvider"] + done["protocolFee"] + done["verifierLevy"]
        == JOB_DEPOSIT - p.config.params()["matchFee"] - p.config.params()["settleBounty"]  # the bounty: the settler's
    )
    assert p.token.balanceOf(p.tenant) == tenant_before  # the levy funds the verifier pool
    assert p.token.balanceOf(p.job_market) == done["protocolFee"] + done["verifierLevy"]
    p.job_market.sweepFees({"from": p.stranger})
    assert p.token.balanceOf(p.treasury) == done["protocolFee"]
    assert p.token.balanceOf(p.job_market) == done["verifierLevy"] == p.job_market.verifierPool()


def test_revert_when_the_tenant_cannot_pay(p, accounts):
    broke = accounts[9]
    p.token.approve(p.market, DEPOSIT, {"from": broke})
    with brownie.reverts("balance"):
        p.market.createRequest(rental_spec(), DEPOSIT, {"from": broke})
    assert p.market.nextRequestId() == 1
