"""Re-entrancy through every payout path. The payment and stake token has a transfer hook that,
when it pays the armed party (a contract account, a Puppet), first calls back into the protocol
as that party. Every attempt fails with ReentrancyGuardReentrantCall, the outer call completes,
and each party is paid exactly once. A hook that makes its own transfer fail (bubble) only turns
its payout into a credit."""

import pytest
from brownie import Puppet, chain

from helpers import event_args
from jobs.support import HOUR
from security.token_support import (
    DEPOSIT,
    MAX_UINT,
    STAKE,
    add_provider,
    as_party,
    assert_books,
    expect_revert,
    open_job,
    open_lease,
    protocol,
    reentry_refused,
    rental_spec,
    submit_honest,
)


@pytest.fixture(scope="module")
def p(ReentrantHookToken, accounts):
    """The hook token as payment and stake token; the provider is a Puppet driven by accounts[2]."""
    p = protocol(ReentrantHookToken.deploy({"from": accounts[0]}), accounts, eoa_provider=False)
    p.driver = p.provider
    p.puppet = Puppet.deploy({"from": p.driver})
    p.offer = add_provider(p, p.driver, puppet=p.puppet)
    return p


def arm(p, party, contract, function, *args, bubble=False):
    """The next payout to `party` (a Puppet) first calls `contract.function(*args)` as `party`."""
    data = getattr(contract, function).encode_input(*args)
    payload = party.forward.encode_input(contract, data)
    p.token.arm(party, party, payload, bubble, {"from": p.governance})


def puppet_tenant(p):
    tenant = Puppet.deploy({"from": p.tenant})
    p.token.mint(tenant, 10 * DEPOSIT, {"from": p.tenant})
    as_party(tenant, p.token, "approve", p.market, MAX_UINT, sender=p.tenant)
    return tenant


def test_reentry_from_withdraw_earnings_fails(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    arm(p, p.puppet, p.market, "withdrawEarnings", lease)

    tx = as_party(p.puppet, p.market, "withdrawEarnings", lease, sender=p.driver)

    assert p.token.attempts() == 1 and reentry_refused(p.token)
    assert p.token.balanceOf(p.puppet) == event_args(tx, "EarningsWithdrawn")["amount"]
    assert_books(p, {(p.market, p.puppet): 0})


def test_reentry_from_close_lease_payout_fails(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    arm(p, p.puppet, p.market, "closeLease", lease)

    tx = p.market.closeLease(lease, {"from": p.tenant})

    assert p.token.attempts() == 1 and reentry_refused(p.token)
    assert p.token.balanceOf(p.puppet) == event_args(tx, "LeaseClosed")["paid"]
    assert_books(p, {(p.market, p.puppet): 0})


def test_reentry_into_withdraw_earnings_during_close_fails(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    arm(p, p.puppet, p.market, "withdrawEarnings", lease)

    tx = p.market.closeLease(lease, {"from": p.tenant})

    assert reentry_refused(p.token)
    assert p.token.balanceOf(p.puppet) == event_args(tx, "LeaseClosed")["paid"]
    with expect_revert("LeaseMarket_NothingToWithdraw"):
        as_party(p.puppet, p.market, "withdrawEarnings", lease, sender=p.driver)


def test_bubbling_hook_only_turns_its_own_payout_into_a_credit(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    arm(p, p.puppet, p.market, "closeLease", lease, bubble=True)
    tenant_before = p.token.balanceOf(p.tenant)

    tx = p.market.closeLease(lease, {"from": p.tenant})

    closed = event_args(tx, "LeaseClosed")
    assert event_args(tx, "PaymentCredited") == {"account": p.puppet, "amount": closed["paid"]}
    assert p.token.balanceOf(p.tenant) == tenant_before + closed["refunded"] + closed["bounty"]
    assert p.token.balanceOf(p.puppet) == 0
    assert_books(p, {(p.market, p.puppet): closed["paid"]})


def test_reentry_from_claim_credit_fails_and_pays_once(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    arm(p, p.puppet, p.market, "closeLease", lease, bubble=True)
    paid = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")["paid"]
    arm(p, p.puppet, p.market, "claimCredit")

    as_party(p.puppet, p.market, "claimCredit", sender=p.driver)

    assert reentry_refused(p.token)
    assert p.token.balanceOf(p.puppet) == paid
    with expect_revert("Leasehold_NoCredit"):
        as_party(p.puppet, p.market, "claimCredit", sender=p.driver)
    assert_books(p, {(p.market, p.puppet): 0})


def test_reentry_from_cancel_refund_fails(p):
    tenant = puppet_tenant(p)
    tx = as_party(tenant, p.market, "createRequest", rental_spec(), DEPOSIT, sender=p.tenant)
    request_id = event_args(tx, "RequestCreated")["requestId"]
    arm(p, tenant, p.market, "cancelRequest", request_id)

    as_party(tenant, p.market, "cancelRequest", request_id, sender=p.tenant)

    assert reentry_refused(p.token)
    assert p.token.balanceOf(tenant) == 10 * DEPOSIT
    assert_books(p, {})


def test_reentry_from_registry_withdraw_fails(p):
    as_party(p.puppet, p.registry, "requestUnstake", STAKE, sender=p.driver)
    chain.sleep(p.config.params()["unbondingPeriodSeconds"] + 1)
    arm(p, p.puppet, p.registry, "withdrawUnstaked")

    as_party(p.puppet, p.registry, "withdrawUnstaked", sender=p.driver)

    assert p.token.attempts() == 1 and reentry_refused(p.token)
    assert p.token.balanceOf(p.puppet) == STAKE
    assert p.token.balanceOf(p.registry) == 0 and p.registry.totalStake() == 0


def test_reentry_from_liveness_slash_payout_fails(p):
    challenger = Puppet.deploy({"from": p.challenger})
    p.token.mint(challenger, 100 * 10**6, {"from": p.challenger})
    as_party(challenger, p.token, "approve", p.market, MAX_UINT, sender=p.challenger)
    lease = open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    as_party(challenger, p.market, "challengeLiveness", lease, sender=p.challenger)
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    arm(p, challenger, p.market, "resolveLiveness", lease)
    before = p.token.balanceOf(challenger)

    tx = p.market.resolveLiveness(lease, {"from": p.stranger})

    # Two payouts reach the challenger: its whistleblower share (registry) and its bond (market).
    assert p.token.attempts() == 2 and reentry_refused(p.token)
    slash = event_args(tx, "ProviderSlashed")
    bond = event_args(tx, "LivenessResolved")["bondReturned"]
    assert p.token.balanceOf(challenger) == before + slash["toWhistleblower"] + bond
    assert_books(p, {(p.market, challenger): 0, (p.registry, challenger): 0})


def test_reentry_from_job_finalize_payout_fails(p):
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider_puppet=p.puppet, sender=p.driver)
    chain.sleep(HOUR + 1)
    arm(p, p.puppet, p.job_market, "finalizeJob", job_id)

    tx = p.job_market.finalizeJob(job_id, {"from": p.stranger})

    assert p.token.attempts() == 1 and reentry_refused(p.token)
    done = event_args(tx, "JobFinalized")
    assert p.token.balanceOf(p.puppet) == done["toProvider"]
    assert p.job_market.accruedFees() == done["protocolFee"]
    # Besides the fee, the job market holds the verifier levy in its pool (nobody verified the job).
    assert p.job_market.verifierPool() == done["verifierLevy"]
    assert p.token.balanceOf(p.job_market) == done["protocolFee"] + done["verifierLevy"]


def test_reentry_from_job_expiry_refund_fails(p):
    tenant = puppet_tenant(p)
    job_id, _, _ = open_job(p, p.offer, tenant_puppet=tenant)
    chain.sleep(HOUR + 1)
    arm(p, tenant, p.job_market, "expireJob", job_id)
    before = p.token.balanceOf(tenant)

    tx = p.job_market.expireJob(job_id, {"from": p.stranger})

    assert reentry_refused(p.token)
    slash = event_args(tx, "ProviderSlashed")
    assert p.token.balanceOf(tenant) == before + event_args(tx, "JobExpired")["refunded"] + slash["toTenant"]
    assert p.token.balanceOf(p.job_market) == 0


def test_reentry_from_dispute_payouts_fails(p):
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider_puppet=p.puppet, sender=p.driver)
    challenger = Puppet.deploy({"from": p.challenger})
    p.token.mint(challenger, 1_000 * 10**6, {"from": p.challenger})
    as_party(challenger, p.token, "approve", p.job_market, MAX_UINT, sender=p.challenger)
    as_party(challenger, p.job_market, "challenge", job_id, terms, sender=p.challenger)
    chain.sleep(p.config.params()["moveTimeoutSeconds"] + 1)
    arm(p, challenger, p.job_market, "claimTimeout", job_id)
    before = p.token.balanceOf(challenger)

    # The provider never revealed: the challenger wins by timeout.
    tx = p.job_market.claimTimeout(job_id, {"from": p.stranger})

    # One payout reaches the challenger, its bond: a job's slash pays no finder's share.
    assert p.token.attempts() == 1 and reentry_refused(p.token)
    slash = event_args(tx, "ProviderSlashed")
    bond = p.config.params()["challengeBond"]
    assert slash["toWhistleblower"] == 0
    assert p.token.balanceOf(challenger) == before + bond
    assert p.token.balanceOf(p.job_market) == 0
    assert p.job_market.creditOf(challenger) == 0 and p.registry.creditOf(challenger) == 0
