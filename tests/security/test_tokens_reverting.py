"""A token that starts reverting every transfer (its issuer paused it). Deposits and a party's own
withdrawals revert with the token's error and change nothing; settlements that pay several
parties complete with every refused payout credited; credits wait out the halt and are paid once."""

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
def p(SwitchRevertToken, accounts):
    return protocol(SwitchRevertToken.deploy({"from": accounts[0]}), accounts)


def halt(p, on=True):
    p.token.setReverting(on, {"from": p.governance})


def test_revert_when_deposit_while_halted(p):
    halt(p)
    with expect_revert("SwitchRevertToken_Halted"):
        p.market.createRequest(rental_spec(), DEPOSIT, {"from": p.tenant})
    assert p.market.nextRequestId() == 1


def test_expired_lease_settles_while_halted_and_pays_after(p):
    lease = open_lease(p, p.offer)
    chain.sleep(86_400 + 1)
    halt(p)

    tx = p.market.closeLease(lease, {"from": p.stranger})

    closed = event_args(tx, "LeaseClosed")
    assert p.market.statusOf(lease) == 4  # CLOSED
    assert p.registry.provider(p.provider)["lockedStake"] == 0
    owed = {p.provider: closed["paid"], p.tenant: closed["refunded"], p.stranger: closed["bounty"]}
    assert_books(p, {(p.market, a): v for a, v in owed.items()})
    assert p.market.accruedFees() == closed["fee"]
    with expect_revert("SwitchRevertToken_Halted"):
        p.market.sweepFees({"from": p.stranger})
    with expect_revert("SwitchRevertToken_Halted"):
        p.market.claimCredit({"from": p.provider})
    assert p.market.creditOf(p.provider) == closed["paid"]

    halt(p, False)
    for account, amount in owed.items():
        if amount == 0:
            continue
        before = p.token.balanceOf(account)
        p.market.claimCredit({"from": account})
        assert p.token.balanceOf(account) == before + amount
    before = p.token.balanceOf(p.treasury)
    p.market.sweepFees({"from": p.stranger})
    assert p.token.balanceOf(p.treasury) == before + closed["fee"]
    assert_books(p, {(p.market, a): 0 for a in owed})


def test_withdraw_earnings_while_halted_is_credited(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    halt(p)
    tx = p.market.withdrawEarnings(lease, {"from": p.provider})
    amount = event_args(tx, "EarningsWithdrawn")["amount"]
    assert p.market.creditOf(p.provider) == amount
    assert p.market.accruedFees() == event_args(tx, "EarningsWithdrawn")["fee"]
    assert_books(p, {(p.market, p.provider): amount, (p.market, p.treasury): 0})


def test_job_finalizes_while_halted(p):
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider=p.provider)
    chain.sleep(HOUR + 1)
    halt(p)

    tx = p.job_market.finalizeJob(job_id, {"from": p.stranger})

    done = event_args(tx, "JobFinalized")
    assert p.job_market.creditOf(p.provider) == done["toProvider"]
    assert p.job_market.creditOf(p.treasury) == 0
    assert p.job_market.accruedFees() == done["protocolFee"]
    assert p.job_market.creditOf(p.tenant) == 0  # the levy funds the verifier pool
    bounty = event_args(tx, "SettleBountyPaid")["bounty"]  # the settler's bounty, credited too
    assert p.job_market.creditOf(p.stranger) == bounty
    assert p.token.balanceOf(p.job_market) == done["toProvider"] + done["protocolFee"] + done["verifierLevy"] + bounty
    assert p.registry.provider(p.provider)["lockedStake"] == 0


def test_job_credits_are_claimed_once_the_token_resumes(p):
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider=p.provider)
    chain.sleep(HOUR + 1)
    halt(p)
    finalized = p.job_market.finalizeJob(job_id, {"from": p.stranger})
    done, bounty = event_args(finalized, "JobFinalized"), event_args(finalized, "SettleBountyPaid")["bounty"]
    with expect_revert("SwitchRevertToken_Halted"):
        p.job_market.claimCredit({"from": p.provider})
    halt(p, False)

    p.job_market.sweepFees({"from": p.stranger})
    for account, amount in ((p.provider, done["toProvider"]), (p.stranger, bounty)):
        before = p.token.balanceOf(account)
        tx = p.job_market.claimCredit({"from": account})
        assert event_args(tx, "CreditClaimed") == {"account": account, "amount": amount}
        assert p.token.balanceOf(account) == before + amount
        with expect_revert("Leasehold_NoCredit"):
            p.job_market.claimCredit({"from": account})
    assert p.token.balanceOf(p.job_market) == p.job_market.verifierPool() == done["verifierLevy"]
