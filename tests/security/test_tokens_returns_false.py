"""A token that returns false instead of reverting. SafeERC20 turns a false into a revert
(SafeERC20FailedOperation) for every deposit and every party's own withdrawal; a settlement that
pays several parties credits a refused payout instead, so it still completes, and each credit is
claimed once the token pays again."""

import pytest
from brownie import chain

from helpers import event_args, reverts_with_args
from jobs.support import HOUR
from security.token_support import (
    DEPOSIT,
    STAKE,
    assert_books,
    expect_revert,
    open_lease,
    protocol,
    rental_spec,
)


@pytest.fixture(scope="module")
def p(ReturnsFalseToken, accounts):
    return protocol(ReturnsFalseToken.deploy({"from": accounts[0]}), accounts)


def test_revert_when_deposit_returns_false(p, accounts):
    broke = accounts[9]
    p.token.approve(p.market, DEPOSIT, {"from": broke})
    with reverts_with_args("SafeERC20FailedOperation", p.token.address):
        p.market.createRequest(rental_spec(), DEPOSIT, {"from": broke})
    assert p.market.nextRequestId() == 1


def test_revert_when_stake_returns_false(p):
    p.token.setFailing(True, {"from": p.governance})
    with reverts_with_args("SafeERC20FailedOperation", p.token.address):
        p.registry.stake(STAKE, {"from": p.provider})
    assert p.registry.totalStake() == STAKE


def test_close_credits_every_refused_payout(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    p.token.setFailing(True, {"from": p.governance})

    tx = p.market.closeLease(lease, {"from": p.tenant})

    closed = event_args(tx, "LeaseClosed")
    credited = sorted((str(c["account"]), c["amount"]) for c in tx.events["PaymentCredited"])
    assert credited == sorted(
        [
            (str(p.provider), closed["paid"]),
            (str(p.tenant), closed["refunded"] + closed["bounty"]),
        ]
    )
    assert p.market.accruedFees() == closed["fee"]  # accrued, not paid: nothing to refuse
    assert p.market.statusOf(lease) == 4  # CLOSED
    assert p.registry.provider(p.provider)["lockedStake"] == 0
    assert_books(
        p,
        {
            (p.market, p.treasury): 0,
            (p.market, p.provider): closed["paid"],
            (p.market, p.tenant): closed["refunded"] + closed["bounty"],
        },
    )


def test_credits_are_claimed_once_the_token_pays_again(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    p.token.setFailing(True, {"from": p.governance})
    closed = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")
    with reverts_with_args("SafeERC20FailedOperation", p.token.address):
        p.market.claimCredit({"from": p.provider})
    p.token.setFailing(False, {"from": p.governance})

    before = p.token.balanceOf(p.provider)
    assert p.market.claimCredit({"from": p.provider}).return_value == closed["paid"]
    assert p.token.balanceOf(p.provider) == before + closed["paid"]
    with expect_revert("Leasehold_NoCredit"):
        p.market.claimCredit({"from": p.provider})
    assert_books(p, {(p.market, p.tenant): closed["refunded"] + closed["bounty"]})


def test_sweep_reverts_while_the_token_fails_and_the_fees_wait(p):
    lease = open_lease(p, p.offer)
    chain.sleep(HOUR)
    fee = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")["fee"]
    p.token.setFailing(True, {"from": p.governance})
    with reverts_with_args("SafeERC20FailedOperation", p.token.address):
        p.market.sweepFees({"from": p.stranger})
    assert p.market.accruedFees() == fee
    p.token.setFailing(False, {"from": p.governance})
    before = p.token.balanceOf(p.treasury)
    assert p.market.sweepFees({"from": p.stranger}).return_value == fee
    assert p.token.balanceOf(p.treasury) == before + fee
    assert_books(p, {(p.market, p.tenant): 0})


def test_revert_when_cancel_refund_returns_false(p):
    request_id = p.market.createRequest(rental_spec(), DEPOSIT, {"from": p.tenant}).return_value
    p.token.setFailing(True, {"from": p.governance})
    with reverts_with_args("SafeERC20FailedOperation", p.token.address):
        p.market.cancelRequest(request_id, {"from": p.tenant})
    assert p.market.requestStatusOf(request_id) == 1  # still OPEN, escrow kept
    p.token.setFailing(False, {"from": p.governance})
    before = p.token.balanceOf(p.tenant)
    p.market.cancelRequest(request_id, {"from": p.tenant})
    assert p.token.balanceOf(p.tenant) == before + DEPOSIT
    assert_books(p, {})


def test_revert_when_unstake_payout_returns_false(p):
    p.registry.requestUnstake(STAKE, {"from": p.provider})
    chain.sleep(p.config.params()["unbondingPeriodSeconds"] + 1)
    p.token.setFailing(True, {"from": p.governance})
    with reverts_with_args("SafeERC20FailedOperation", p.token.address):
        p.registry.withdrawUnstaked({"from": p.provider})
    assert p.registry.provider(p.provider)["unbondingStake"] == STAKE
    p.token.setFailing(False, {"from": p.governance})
    assert p.registry.withdrawUnstaked({"from": p.provider}).return_value == STAKE
    assert_books(p, {})
