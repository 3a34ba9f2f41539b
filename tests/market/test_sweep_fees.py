"""sweepFees and accruedFees: protocol fees accrue in the market at each withdrawal and close, and
anyone sweeps all of them to the config's treasury of the moment."""

from helpers import event_args, reverts_with
from market.support import fee_of, order, sleep_to, streamed


def _withdraw_then_close(market, provider, tenant, lease_id):
    start = order(market, lease_id)["startTime"]
    sleep_to(start + 1800)
    withdrawn = market.withdrawEarnings(lease_id, {"from": provider})
    sleep_to(start + 4000)
    closed = market.closeLease(lease_id, {"from": tenant})
    return fee_of(streamed(withdrawn.timestamp - start)) + event_args(closed, "LeaseClosed")["fee"]


def test_when_fees_accrued_then_anyone_sweeps_them_all_to_the_treasury(
    matcher, market, token, provider, funded, treasury, stranger, lease_id
):
    fees = _withdraw_then_close(market, provider, funded, lease_id)
    assert fees > 0
    assert market.accruedFees() == fees
    before = token.balanceOf(treasury)
    tx = market.sweepFees({"from": stranger})
    assert tx.return_value == fees
    assert event_args(tx, "FeesSwept") == {"treasury": treasury, "amount": fees}
    assert token.balanceOf(treasury) - before == fees
    assert market.accruedFees() == 0
    assert token.balanceOf(market) == market.creditOf(matcher)  # match fees: credited


def test_when_the_treasury_changed_then_the_sweep_pays_the_new_one(
    market, config, token, governance, provider, funded, treasury, stranger, lease_id
):
    fees = _withdraw_then_close(market, provider, funded, lease_id)
    config.setTreasury(stranger, {"from": governance})
    before_old, before_new = token.balanceOf(treasury), token.balanceOf(stranger)
    tx = market.sweepFees({"from": provider})
    assert event_args(tx, "FeesSwept") == {"treasury": stranger, "amount": fees}
    assert token.balanceOf(stranger) - before_new == fees
    assert token.balanceOf(treasury) == before_old


def test_when_paused_then_the_sweep_works(market, config, governance, provider, funded, stranger, lease_id):
    fees = _withdraw_then_close(market, provider, funded, lease_id)
    config.pause({"from": governance})
    assert market.sweepFees({"from": stranger}).return_value == fees


def test_revert_when_no_fee_has_accrued(market, stranger, lease_id):
    assert market.accruedFees() == 0
    with reverts_with("Leasehold_NoFees"):
        market.sweepFees({"from": stranger})


def test_revert_when_swept_twice(market, provider, funded, stranger, lease_id):
    _withdraw_then_close(market, provider, funded, lease_id)
    market.sweepFees({"from": stranger})
    with reverts_with("Leasehold_NoFees"):
        market.sweepFees({"from": stranger})
