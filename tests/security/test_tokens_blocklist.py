"""A USDC-like token whose issuer blocklists an account: no party on the blocklist can hold the
others' funds. Its own payout is credited (PaymentCredited) and claimable once it is unblocked;
everything else settles as usual, and nothing is paid twice."""

import pytest
from brownie import chain

from helpers import event_args
from jobs.support import HOUR
from security.token_support import (
    DEPOSIT,
    assert_books,
    expect_revert,
    open_job,
    open_lease,
    protocol,
    rental_spec,
    submit_honest,
)


@pytest.fixture(scope="module")
def p(BlocklistPermitToken, accounts):
    return protocol(BlocklistPermitToken.deploy({"from": accounts[0]}), accounts)


def test_blocked_tenant_cannot_deposit(p):
    p.token.setBlocked(p.tenant, True, {"from": p.governance})
    with expect_revert("BlocklistPermitToken_Blocked"):
        p.market.createRequest(rental_spec(), DEPOSIT, {"from": p.tenant})
    assert p.market.nextRequestId() == 1
    assert_books(p, {})


def test_blocked_provider_does_not_block_the_tenants_close(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    tenant_before = p.token.balanceOf(p.tenant)

    tx = p.market.closeLease(lease, {"from": p.tenant})

    closed = event_args(tx, "LeaseClosed")
    assert closed["paid"] > 0
    assert event_args(tx, "PaymentCredited") == {"account": p.provider, "amount": closed["paid"]}
    assert p.token.balanceOf(p.tenant) == tenant_before + closed["refunded"] + closed["bounty"]
    assert p.registry.provider(p.provider)["lockedStake"] == 0
    assert_books(p, {(p.market, p.provider): closed["paid"]})


def test_credit_waits_while_blocked_and_is_paid_once(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    paid = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")["paid"]

    with expect_revert("BlocklistPermitToken_Blocked"):
        p.market.claimCredit({"from": p.provider})
    assert p.market.creditOf(p.provider) == paid

    p.token.setBlocked(p.provider, False, {"from": p.governance})
    before = p.token.balanceOf(p.provider)
    tx = p.market.claimCredit({"from": p.provider})
    assert event_args(tx, "CreditClaimed") == {"account": p.provider, "amount": paid}
    assert p.token.balanceOf(p.provider) == before + paid
    with expect_revert("Leasehold_NoCredit"):
        p.market.claimCredit({"from": p.provider})
    assert_books(p, {(p.market, p.provider): 0})


def test_blocked_provider_withdrawal_is_credited_not_lost(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    p.token.setBlocked(p.provider, True, {"from": p.governance})

    tx = p.market.withdrawEarnings(lease, {"from": p.provider})

    withdrawn = event_args(tx, "EarningsWithdrawn")
    assert event_args(tx, "PaymentCredited") == {"account": p.provider, "amount": withdrawn["amount"]}
    assert p.market.getRequest(lease)["withdrawn"] == withdrawn["amount"] + withdrawn["fee"]
    assert_books(p, {(p.market, p.provider): withdrawn["amount"]})


def test_blocked_tenant_does_not_block_settlement_of_an_expired_lease(p):
    lease = open_lease(p, p.offer)
    chain.sleep(86_400 + 1)
    p.token.setBlocked(p.tenant, True, {"from": p.governance})
    provider_before = p.token.balanceOf(p.provider)
    stranger_before = p.token.balanceOf(p.stranger)

    tx = p.market.closeLease(lease, {"from": p.stranger})

    closed = event_args(tx, "LeaseClosed")
    assert p.token.balanceOf(p.provider) == provider_before + closed["paid"]
    assert p.token.balanceOf(p.stranger) == stranger_before + closed["bounty"]
    if closed["refunded"]:
        assert event_args(tx, "PaymentCredited") == {"account": p.tenant, "amount": closed["refunded"]}
    assert p.registry.provider(p.provider)["lockedStake"] == 0
    assert_books(p, {(p.market, p.tenant): closed["refunded"]})


def test_blocked_tenant_cannot_stop_a_liveness_slash(p):
    lease = open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    p.market.challengeLiveness(lease, {"from": p.challenger})
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    p.token.setBlocked(p.tenant, True, {"from": p.governance})
    challenger_before = p.token.balanceOf(p.challenger)

    tx = p.market.resolveLiveness(lease, {"from": p.challenger})

    slash = event_args(tx, "ProviderSlashed")
    assert slash["slashed"] > 0 and slash["toTenant"] > 0
    refunded = event_args(tx, "LeaseClosed")["refunded"]
    credited = sorted((c.address, c["account"], c["amount"]) for c in tx.events["PaymentCredited"])
    assert credited == sorted(
        [(p.registry.address, p.tenant, slash["toTenant"]), (p.market.address, p.tenant, refunded)]
    )
    bond = event_args(tx, "LivenessResolved")["bondReturned"]
    bounty = event_args(tx, "LeaseClosed")["bounty"]
    assert p.token.balanceOf(p.challenger) == challenger_before + slash["toWhistleblower"] + bond + bounty
    assert_books(p, {(p.registry, p.tenant): slash["toTenant"], (p.market, p.tenant): refunded})


def test_blocked_tenant_does_not_block_the_providers_job_payment(p):
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider=p.provider)
    chain.sleep(HOUR + 1)
    p.token.setBlocked(p.tenant, True, {"from": p.governance})
    provider_before = p.token.balanceOf(p.provider)
    treasury_before = p.token.balanceOf(p.treasury)

    tx = p.job_market.finalizeJob(job_id, {"from": p.stranger})

    done = event_args(tx, "JobFinalized")
    assert p.token.balanceOf(p.provider) == provider_before + done["toProvider"]
    assert p.token.balanceOf(p.treasury) == treasury_before
    assert p.job_market.accruedFees() == done["protocolFee"]
    # Nothing goes to the tenant: the levy nobody earned funds the verifier pool.
    assert "PaymentCredited" not in tx.events and p.job_market.creditOf(p.tenant) == 0
    assert p.job_market.verifierPool() == done["verifierLevy"]
    assert p.token.balanceOf(p.job_market) == done["verifierLevy"] + done["protocolFee"]


def test_blocked_treasury_refuses_the_sweep_and_the_fees_wait(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    fee = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")["fee"]
    assert fee > 0
    p.token.setBlocked(p.treasury, True, {"from": p.governance})

    with expect_revert("BlocklistPermitToken_Blocked"):
        p.market.sweepFees({"from": p.stranger})
    assert p.market.accruedFees() == fee
    assert_books(p, {})

    p.token.setBlocked(p.treasury, False, {"from": p.governance})
    before = p.token.balanceOf(p.treasury)
    assert p.market.sweepFees({"from": p.stranger}).return_value == fee
    assert p.token.balanceOf(p.treasury) == before + fee
    assert_books(p, {})


def test_blocked_provider_does_not_block_a_late_jobs_refund(p):
    job_id, _, _ = open_job(p, p.offer)
    chain.sleep(HOUR + 1)
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    tenant_before = p.token.balanceOf(p.tenant)

    tx = p.job_market.expireJob(job_id, {"from": p.stranger})

    assert p.token.balanceOf(p.tenant) >= tenant_before + event_args(tx, "JobExpired")["refunded"]
    assert p.token.balanceOf(p.job_market) == 0
    assert "PaymentCredited" not in tx.events


def test_slash_share_credit_is_claimed_from_the_registry_once_unblocked(p):
    lease = open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    p.market.challengeLiveness(lease, {"from": p.challenger})
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    p.token.setBlocked(p.tenant, True, {"from": p.governance})
    to_tenant = event_args(p.market.resolveLiveness(lease, {"from": p.challenger}), "ProviderSlashed")["toTenant"]
    with expect_revert("BlocklistPermitToken_Blocked"):
        p.registry.claimCredit({"from": p.tenant})
    p.token.setBlocked(p.tenant, False, {"from": p.governance})
    before = p.token.balanceOf(p.tenant)

    tx = p.registry.claimCredit({"from": p.tenant})

    assert event_args(tx, "CreditClaimed") == {"account": p.tenant, "amount": to_tenant}
    assert p.token.balanceOf(p.tenant) == before + to_tenant
    with expect_revert("Leasehold_NoCredit"):
        p.registry.claimCredit({"from": p.tenant})
    assert p.token.balanceOf(p.registry) == p.registry.totalStake()
