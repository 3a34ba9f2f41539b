"""matchRequests: caller and pause checks, a started lease, every skip, batches, job handover."""

import pytest

from helpers import b32, event_args, reverts_with, reverts_with_args
from market.support import (
    ACTIVE,
    BALANCE,
    COLLATERAL_PER_UNIT,
    DEPOSIT,
    DURATION,
    FEE_BPS,
    JOB,
    JOB_MARKET_UNSET,
    JOB_TERMS,
    JOB_TERMS_UNPUBLISHED,
    MATCH_FEE,
    OFFER_PRICE,
    OFFER_UNKNOWN,
    PRICE_TOO_HIGH,
    PROVIDER_IS_TENANT,
    R_MATCHED,
    R_OPEN,
    REQUEST_EXPIRED,
    REQUEST_NOT_OPEN,
    SETTLE_BOUNTY,
    UNITS,
    order,
    sleep_to,
    spec,
)


def test_when_rental_matched_then_lease_starts(market, registry, token, matcher, provider, request_id, offer_id):
    matcher_before = market.creditOf(matcher)
    tx = market.matchRequests([(request_id, offer_id)], {"from": matcher})
    record = order(market, request_id)
    start = tx.timestamp
    assert record["status"] == R_MATCHED
    assert record["provider"] == provider
    assert record["offerId"] == offer_id
    assert record["pricePerUnitHour"] == OFFER_PRICE
    assert record["escrow"] == DEPOSIT - MATCH_FEE
    assert record["settleBounty"] == SETTLE_BOUNTY
    assert record["collateral"] == UNITS * COLLATERAL_PER_UNIT
    assert record["protocolFeeBps"] == FEE_BPS
    assert record["startTime"] == start
    assert market.statusOf(request_id) == ACTIVE
    assert market.balanceOf(request_id) == BALANCE
    assert market.creditOf(matcher) == matcher_before + MATCH_FEE  # credited, claimed later
    assert token.balanceOf(market) == DEPOSIT
    assert registry.offer(offer_id)[2] == UNITS  # unitsInUse
    assert event_args(tx, "LeaseStarted") == {
        "leaseId": request_id,
        "provider": provider,
        "offerId": offer_id,
        "matcher": matcher,
        "pricePerUnitHour": OFFER_PRICE,
        "balance": BALANCE,
        "settleBounty": SETTLE_BOUNTY,
        "collateral": UNITS * COLLATERAL_PER_UNIT,
        "endTime": start + DURATION,
    }


def test_revert_when_caller_not_matcher(market, matcher_bonds, stranger, request_id, offer_id):
    min_bond = matcher_bonds.params()[0]
    with reverts_with_args("MatcherBonds_NotBonded", stranger.address, 0, min_bond):
        market.matchRequests([(request_id, offer_id)], {"from": stranger})


def test_revert_when_paused(market, config, governance, matcher, request_id, offer_id):
    config.pause({"from": governance})
    with reverts_with("Leasehold_Paused"):
        market.matchRequests([(request_id, offer_id)], {"from": matcher})


def test_revert_when_batch_empty(market, matcher):
    with reverts_with("LeaseMarket_EmptyBatch"):
        market.matchRequests([], {"from": matcher})


def _skip(tx, index=0):
    args = event_args(tx, "MatchSkipped", index)
    return args["requestId"], args["offerId"], args["reason"]


def test_when_request_unknown_then_skipped_not_open(market, matcher, offer_id):
    tx = market.matchRequests([(77, offer_id)], {"from": matcher})
    assert _skip(tx) == (77, offer_id, REQUEST_NOT_OPEN)


def test_when_same_request_twice_in_batch_then_second_skipped(market, token, matcher, request_id, offer_id):
    before = market.creditOf(matcher)
    tx = market.matchRequests([(request_id, offer_id), (request_id, offer_id)], {"from": matcher})
    assert len(tx.events["LeaseStarted"]) == 1
    assert _skip(tx) == (request_id, offer_id, REQUEST_NOT_OPEN)
    assert market.creditOf(matcher) == before + MATCH_FEE


def test_when_past_match_deadline_then_skipped_expired(market, matcher, request_id, offer_id):
    sleep_to(order(market, request_id)["matchDeadline"] + 1)
    tx = market.matchRequests([(request_id, offer_id)], {"from": matcher})
    assert _skip(tx) == (request_id, offer_id, REQUEST_EXPIRED)
    assert order(market, request_id)["status"] == 1


def test_when_registry_refuses_then_skipped_with_its_reason(market, funded, matcher, offer_id):
    rid = market.createRequest(spec(maxPricePerUnitHour=OFFER_PRICE - 1), DEPOSIT, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    assert _skip(tx) == (rid, offer_id, PRICE_TOO_HIGH)


def test_when_provider_is_tenant_then_skipped(market, token, provider, matcher, offer_id):
    token.mint(provider, DEPOSIT, {"from": provider})
    token.approve(market, DEPOSIT, {"from": provider})
    rid = market.createRequest(spec(), DEPOSIT, {"from": provider}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    assert _skip(tx) == (rid, offer_id, PROVIDER_IS_TENANT)


def test_when_offer_id_beyond_uint40_then_skipped_unknown(market, matcher, request_id):
    tx = market.matchRequests([(request_id, 2**40)], {"from": matcher})
    assert _skip(tx) == (request_id, 2**40, OFFER_UNKNOWN)


def test_when_job_and_no_job_market_then_skipped(market, funded, matcher, offer_id):
    rid = market.createRequest(spec(kind=JOB, jobTermsHash=JOB_TERMS), DEPOSIT, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    assert _skip(tx) == (rid, offer_id, JOB_MARKET_UNSET)


def test_when_job_terms_unpublished_then_skipped_and_batch_goes_on(
    market, funded, matcher, offer_id, offer2_id, job_market
):
    unpublished = market.createRequest(spec(kind=JOB, jobTermsHash=b32("never-published")), DEPOSIT, {"from": funded})
    rental = market.createRequest(spec(), DEPOSIT, {"from": funded})
    tx = market.matchRequests(
        [(unpublished.return_value, offer_id), (rental.return_value, offer2_id)], {"from": matcher}
    )
    assert _skip(tx) == (unpublished.return_value, offer_id, JOB_TERMS_UNPUBLISHED)
    assert len(tx.events["LeaseStarted"]) == 1
    assert job_market.jobsOpened() == 0
    assert order(market, unpublished.return_value)["status"] == R_OPEN


def test_when_job_matched_then_escrow_and_job_handed_over(
    market, token, funded, matcher, provider, offer_id, job_market
):
    rid = market.createRequest(spec(kind=JOB, jobTermsHash=JOB_TERMS), DEPOSIT, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    escrow = DEPOSIT - MATCH_FEE
    assert job_market.jobsOpened() == 1
    assert job_market.requestId() == rid and job_market.tenant() == funded and job_market.provider() == provider
    assert job_market.offerId() == offer_id and job_market.units() == UNITS
    assert job_market.collateral() == UNITS * COLLATERAL_PER_UNIT
    assert job_market.escrow() == escrow and job_market.jobTermsHash() == JOB_TERMS
    assert job_market.balanceAtOpen() == escrow
    assert token.balanceOf(market) == MATCH_FEE  # the matcher's credit
    assert order(market, rid)["status"] == R_MATCHED and order(market, rid)["escrow"] == 0
    assert market.statusOf(rid) == 0
    assert event_args(tx, "JobHandedOver") == {
        "requestId": rid,
        "provider": provider,
        "offerId": offer_id,
        "matcher": matcher,
        "escrow": escrow,
    }


def test_when_batch_mixes_matches_and_skips_then_fees_summed_once(market, token, funded, matcher, offer_id, offer2_id):
    ids = [market.createRequest(spec(), DEPOSIT, {"from": funded}).return_value for _ in range(3)]
    before = market.creditOf(matcher)
    pairs = [(ids[0], offer_id), (ids[1], offer2_id), (ids[2], 999)]
    tx = market.matchRequests(pairs, {"from": matcher})
    assert len(tx.events["LeaseStarted"]) == 2
    assert _skip(tx) == (ids[2], 999, OFFER_UNKNOWN)
    assert market.creditOf(matcher) == before + 2 * MATCH_FEE
    assert [dict(e) for e in tx.events["PaymentCredited"]] == [{"account": matcher, "amount": 2 * MATCH_FEE}]
    assert "Transfer" not in tx.events or all(e["to"] != matcher for e in tx.events["Transfer"])


@pytest.mark.parametrize("new_fee,new_bounty", [(10 * 10**6, 5 * 10**6)])
def test_when_fees_raised_past_deposit_then_capped_by_deposit(
    market, config, governance, funded, matcher, offer_id, new_fee, new_bounty
):
    small = MATCH_FEE + SETTLE_BOUNTY + UNITS * 3 * 10**6
    rid = market.createRequest(spec(maxDurationSeconds=3600), small, {"from": funded}).return_value
    params = list(config.params())
    params[15], params[16] = new_fee, new_bounty
    config.setParams(params, {"from": governance})
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    record = order(market, rid)
    fee = min(new_fee, small)
    assert event_args(tx, "LeaseStarted")["settleBounty"] == min(new_bounty, small - fee)
    assert record["escrow"] == small - fee
    assert market.balanceOf(rid) == record["escrow"] - record["settleBounty"]
