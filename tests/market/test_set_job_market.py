"""setJobMarket: the config's owner, once, non-zero."""

from helpers import ZERO_ADDRESS, event_args, reverts_with, reverts_with_args


def test_when_owner_sets_then_stored_and_event(market, governance, accounts):
    tx = market.setJobMarket(accounts[9], {"from": governance})
    assert market.jobMarket() == accounts[9]
    assert event_args(tx, "JobMarketSet") == {"jobMarket": accounts[9]}


def test_revert_when_not_owner(market, stranger, accounts):
    with reverts_with_args("LeaseMarket_CallerNotGovernance", stranger):
        market.setJobMarket(accounts[9], {"from": stranger})


def test_revert_when_set_twice(market, governance, accounts):
    market.setJobMarket(accounts[9], {"from": governance})
    with reverts_with_args("LeaseMarket_JobMarketAlreadySet", accounts[9]):
        market.setJobMarket(accounts[8], {"from": governance})


def test_revert_when_zero(market, governance):
    with reverts_with("Leasehold_ZeroAddress"):
        market.setJobMarket(ZERO_ADDRESS, {"from": governance})
