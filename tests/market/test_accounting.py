"""Lease accounting to the token unit across random durations, top-ups and close times."""

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import event_args
from market.support import (
    FEE_BPS,
    MATCH_FEE,
    OFFER_PRICE,
    SETTLE_BOUNTY,
    UNITS,
    fee_of,
    order,
    sleep_to,
    spec,
    streamed,
)


@settings(max_examples=12, deadline=None)
@given(
    hours=st.integers(min_value=1, max_value=48),
    duration_hours=st.integers(min_value=1, max_value=48),
    top_up=st.integers(min_value=0, max_value=30 * 10**6),
    withdraw_at=st.integers(min_value=1, max_value=60 * 3600),
    close_at=st.integers(min_value=1, max_value=60 * 3600),
)
def test_payouts_match_the_reference_stream(
    market,
    token,
    funded,
    matcher,
    offer_id,
    provider,
    treasury,
    accounts,
    hours,
    duration_hours,
    top_up,
    withdraw_at,
    close_at,
):
    settler = accounts[8]
    deposit = MATCH_FEE + SETTLE_BOUNTY + OFFER_PRICE * UNITS * hours + 7  # an odd remainder on purpose
    rid = market.createRequest(
        spec(maxPricePerUnitHour=OFFER_PRICE, maxDurationSeconds=duration_hours * 3600), deposit, {"from": funded}
    ).return_value
    start = market.matchRequests([(rid, offer_id)], {"from": matcher}).timestamp
    balance = deposit - MATCH_FEE - SETTLE_BOUNTY
    duration = duration_hours * 3600
    if top_up and market.statusOf(rid) == 1:
        market.topUp(rid, top_up, {"from": funded})
        balance += top_up
    before = {a: token.balanceOf(a) for a in (provider, treasury, funded, settler)}
    fees_before = market.accruedFees()  # hypothesis' examples share the chain: earlier ones accrued too

    withdrawn = 0
    first, second = sorted((withdraw_at, close_at))
    sleep_to(start + first)
    if market.withdrawableOf(rid) > 0:
        tx = market.withdrawEarnings(rid, {"from": provider})
        withdrawn = streamed(min(tx.timestamp - start, duration), balance=balance)
        assert order(market, rid)["withdrawn"] == withdrawn
    sleep_to(max(start + second, start + first + 1))
    status = market.statusOf(rid)
    closer = funded if status == 1 else settler
    tx = market.closeLease(rid, {"from": closer})
    accrued = streamed(min(tx.timestamp - start, duration), balance=balance)
    closed = event_args(tx, "LeaseClosed")
    assert closed["paid"] + closed["fee"] == accrued - withdrawn
    assert closed["refunded"] == balance - accrued
    assert token.balanceOf(provider) - before[provider] == accrued - fee_of(withdrawn) - fee_of(accrued - withdrawn)
    assert token.balanceOf(treasury) == before[treasury]
    assert market.accruedFees() - fees_before == fee_of(withdrawn) + fee_of(accrued - withdrawn)
    bounty_to_settler = SETTLE_BOUNTY if closer == settler else 0
    assert token.balanceOf(settler) - before[settler] == bounty_to_settler
    assert token.balanceOf(funded) - before[funded] == balance - accrued + SETTLE_BOUNTY - bounty_to_settler
    assert token.balanceOf(market) == market.accruedFees() + market.creditOf(matcher)  # match fees: credited
    assert order(market, rid)["protocolFeeBps"] == FEE_BPS
