"""withdrawEarnings and topUp: streamed earnings minus the fee, held back during a challenge;
top-ups only while ACTIVE."""

from helpers import event_args, respond_liveness, reverts_with, reverts_with_args
from market.support import (
    ACTIVE,
    BALANCE,
    DURATION,
    EXPIRED,
    INSOLVENT,
    RATE_PER_HOUR,
    fee_of,
    order,
    sleep_to,
    streamed,
)


def _start(market, lease_id):
    return order(market, lease_id)["startTime"]


def test_when_provider_withdraws_then_paid_accrued_minus_fee(market, token, provider, treasury, lease_id):
    start = _start(market, lease_id)
    sleep_to(start + 1234)
    p_before, t_before = token.balanceOf(provider), token.balanceOf(treasury)
    tx = market.withdrawEarnings(lease_id, {"from": provider})
    gross = streamed(tx.timestamp - start)
    assert token.balanceOf(provider) == p_before + gross - fee_of(gross)
    # The fee accrues in the market until a sweep; the treasury is not called.
    assert token.balanceOf(treasury) == t_before
    assert market.accruedFees() == fee_of(gross)
    assert order(market, lease_id)["withdrawn"] == gross
    assert market.withdrawableOf(lease_id) == 0
    assert tx.return_value == gross - fee_of(gross)
    assert event_args(tx, "EarningsWithdrawn") == {
        "leaseId": lease_id,
        "provider": provider,
        "amount": gross - fee_of(gross),
        "fee": fee_of(gross),
    }


def test_when_withdrawn_after_end_then_capped_at_duration(market, provider, lease_id):
    sleep_to(_start(market, lease_id) + DURATION + 5000)
    market.withdrawEarnings(lease_id, {"from": provider})
    assert order(market, lease_id)["withdrawn"] == streamed(DURATION) == BALANCE


def test_revert_when_caller_not_provider(market, tenant, lease_id):
    with reverts_with_args("LeaseMarket_CallerNotProvider", lease_id, tenant):
        market.withdrawEarnings(lease_id, {"from": tenant})


def test_revert_when_nothing_to_withdraw(market, provider, tenant, lease_id):
    sleep_to(_start(market, lease_id) + 3600)
    market.closeLease(lease_id, {"from": tenant})
    with reverts_with_args("LeaseMarket_NothingToWithdraw", lease_id):
        market.withdrawEarnings(lease_id, {"from": provider})


def test_revert_when_not_a_lease(market, provider, request_id):
    with reverts_with_args("LeaseMarket_LeaseNotFound", request_id):
        market.withdrawEarnings(request_id, {"from": provider})


def test_when_challenge_open_then_accrual_after_it_held_back(market, provider, stranger, lease_id):
    start = _start(market, lease_id)
    sleep_to(start + 3600)
    tx = market.challengeLiveness(lease_id, {"from": stranger})
    sleep_to(tx.timestamp + 300)
    assert market.accruedOf(lease_id) == streamed(tx.timestamp - start)
    market.withdrawEarnings(lease_id, {"from": provider})
    assert order(market, lease_id)["withdrawn"] == streamed(tx.timestamp - start)


def test_when_withdrawn_during_a_challenge_then_the_held_back_accrual_is_paid_once_after_the_answer(
    market, provider, stranger, lease_id
):
    start = _start(market, lease_id)
    sleep_to(start + 3600)
    challenge = market.challengeLiveness(lease_id, {"from": stranger})
    sleep_to(challenge.timestamp + 300)
    during = market.withdrawEarnings(lease_id, {"from": provider})
    held = streamed(challenge.timestamp - start)
    assert sum(event_args(during, "EarningsWithdrawn")[k] for k in ("amount", "fee")) == held
    respond_liveness(market, lease_id, provider)
    sleep_to(challenge.timestamp + 900)
    after = market.withdrawEarnings(lease_id, {"from": provider})
    paid = sum(event_args(after, "EarningsWithdrawn")[k] for k in ("amount", "fee"))
    assert paid == streamed(after.timestamp - start) - held
    assert order(market, lease_id)["withdrawn"] == streamed(after.timestamp - start)
    assert market.withdrawableOf(lease_id) == 0


def test_when_topped_up_after_a_withdrawal_then_what_was_withdrawn_stays(market, provider, funded, lease_id):
    start = _start(market, lease_id)
    sleep_to(start + 1800)
    tx = market.withdrawEarnings(lease_id, {"from": provider})
    withdrawn = streamed(tx.timestamp - start)
    market.topUp(lease_id, 5 * 10**6, {"from": funded})
    assert order(market, lease_id)["withdrawn"] == withdrawn
    assert market.balanceOf(lease_id) == BALANCE + 5 * 10**6
    assert order(market, lease_id)["escrow"] == BALANCE + 5 * 10**6 + order(market, lease_id)["settleBounty"]
    sleep_to(start + 3600)
    assert market.withdrawableOf(lease_id) == streamed(3600) - withdrawn


def test_when_paused_then_withdraw_and_top_up_work(market, config, governance, provider, funded, lease_id):
    sleep_to(_start(market, lease_id) + 3600)
    config.pause({"from": governance})
    market.withdrawEarnings(lease_id, {"from": provider})
    market.topUp(lease_id, 10, {"from": funded})
    assert market.balanceOf(lease_id) == BALANCE + 10


# ---------------------------------------------------------------- topUp


def test_when_anyone_tops_up_active_lease_then_balance_grows(market, token, stranger, lease_id):
    before = token.balanceOf(market)
    tx = market.topUp(lease_id, 7 * 10**6, {"from": stranger})
    assert market.balanceOf(lease_id) == BALANCE + 7 * 10**6
    assert token.balanceOf(market) == before + 7 * 10**6
    assert event_args(tx, "LeaseToppedUp") == {
        "leaseId": lease_id,
        "funder": stranger,
        "amount": 7 * 10**6,
        "balance": BALANCE + 7 * 10**6,
    }


def test_revert_when_top_up_zero(market, stranger, lease_id):
    with reverts_with("LeaseMarket_ZeroAmount"):
        market.topUp(lease_id, 0, {"from": stranger})


def test_revert_when_top_up_insolvent_lease(market, funded, offer_id, matcher, stranger):
    from market.support import MATCH_FEE, SETTLE_BOUNTY, spec

    deposit = MATCH_FEE + SETTLE_BOUNTY + RATE_PER_HOUR  # one hour of a one-day lease
    rid = market.createRequest(spec(maxPricePerUnitHour=2 * 10**6), deposit, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    sleep_to(tx.timestamp + 3600)
    assert market.statusOf(rid) == INSOLVENT
    with reverts_with_args("LeaseMarket_LeaseNotActive", rid, INSOLVENT):
        market.topUp(rid, 10**6, {"from": stranger})


def test_revert_when_top_up_expired_lease(market, stranger, lease_id):
    sleep_to(_start(market, lease_id) + DURATION)
    with reverts_with_args("LeaseMarket_LeaseNotActive", lease_id, EXPIRED):
        market.topUp(lease_id, 10**6, {"from": stranger})


def test_when_topped_up_before_running_dry_then_stays_active(market, funded, offer_id, matcher, stranger):
    from market.support import MATCH_FEE, SETTLE_BOUNTY, spec

    deposit = MATCH_FEE + SETTLE_BOUNTY + RATE_PER_HOUR
    rid = market.createRequest(spec(maxPricePerUnitHour=2 * 10**6), deposit, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    sleep_to(tx.timestamp + 1800)
    market.topUp(rid, RATE_PER_HOUR, {"from": stranger})
    sleep_to(tx.timestamp + 3600)
    assert market.statusOf(rid) == ACTIVE
    assert market.accruedOf(rid) == RATE_PER_HOUR
