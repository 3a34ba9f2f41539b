"""getRequest and getLease: one view of a record whose slots 3 and 4 hold the request's target
while it is open and the lease's money and clock once matched (Market.OrderRecord)."""

from helpers import ZERO_ADDRESS, reverts_with
from market.support import (
    COLLATERAL_PER_UNIT,
    DEPOSIT,
    DURATION,
    EU_WEST,
    FEE_BPS,
    H100,
    JOB,
    JOB_TERMS,
    MATCH_FEE,
    MAX_PRICE,
    OFFER_PRICE,
    R_CANCELLED,
    R_MATCHED,
    R_OPEN,
    RENTAL,
    SETTLE_BOUNTY,
    UNITS,
    US_EAST,
    ZERO32,
    order,
    spec,
)

LEASE_FIELDS = (
    "provider",
    "protocolFeeBps",
    "closeReason",
    "collateral",
    "settleBounty",
    "withdrawn",
    "startTime",
    "stopTime",
    "offerId",
    "challenger",
    "challengedAt",
    "reclaimableAt",
    "challengeBond",
)
NO_LEASE = {
    "provider": ZERO_ADDRESS,
    "protocolFeeBps": 0,
    "closeReason": 0,
    "collateral": 0,
    "settleBounty": 0,
    "withdrawn": 0,
    "startTime": 0,
    "stopTime": 0,
    "offerId": 0,
    "challenger": ZERO_ADDRESS,
    "challengedAt": 0,
    "reclaimableAt": 0,
    "challengeBond": 0,
}


def _lease_part(record: dict) -> dict:
    return {name: record[name] for name in LEASE_FIELDS}


def test_when_request_open_then_view_shows_its_terms_and_no_lease(market, funded, offer_id):
    tx = market.createRequest(spec(region=US_EAST, minReputation=7), DEPOSIT, {"from": funded})
    record = order(market, tx.return_value)
    assert record["status"] == R_OPEN and record["kind"] == RENTAL and record["tenant"] == funded
    assert record["gpuModel"] == H100 and record["region"] == US_EAST
    assert record["escrow"] == DEPOSIT and record["pricePerUnitHour"] == MAX_PRICE
    assert record["units"] == UNITS and record["minReputation"] == 7 and record["durationSeconds"] == DURATION
    assert _lease_part(record) == NO_LEASE


def test_when_request_cancelled_then_view_keeps_its_terms(market, funded, request_id):
    market.cancelRequest(request_id, {"from": funded})
    record = order(market, request_id)
    assert record["status"] == R_CANCELLED and record["gpuModel"] == H100 and record["region"] == ZERO32
    assert _lease_part(record) == NO_LEASE


def test_when_rental_matched_then_view_shows_the_lease_with_the_offers_model_and_region(
    market, funded, matcher, provider, offer_id
):
    # "Any model with 40 GB" in "any region": once matched, the view names what was leased.
    rid = market.createRequest(spec(gpuModel=ZERO32, minVramGB=40), DEPOSIT, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    record = order(market, rid)
    assert tuple(market.getLease(rid)) == tuple(market.getRequest(rid))
    assert record["status"] == R_MATCHED and record["gpuModel"] == H100 and record["region"] == EU_WEST
    assert record["escrow"] == DEPOSIT - MATCH_FEE and record["pricePerUnitHour"] == OFFER_PRICE
    assert record["minVramGB"] == 40 and record["units"] == UNITS
    assert _lease_part(record) == NO_LEASE | {
        "provider": provider,
        "protocolFeeBps": FEE_BPS,
        "collateral": UNITS * COLLATERAL_PER_UNIT,
        "settleBounty": SETTLE_BOUNTY,
        "startTime": tx.timestamp,
        "offerId": offer_id,
    }


def test_when_job_matched_then_view_shows_the_match_as_the_job_market_holds_it(
    market, funded, matcher, provider, offer_id, job_market
):
    rid = market.createRequest(spec(kind=JOB, jobTermsHash=JOB_TERMS), DEPOSIT, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    record = order(market, rid)
    assert record["status"] == R_MATCHED and record["kind"] == JOB and record["escrow"] == 0
    assert record["jobTermsHash"] == JOB_TERMS and record["pricePerUnitHour"] == OFFER_PRICE
    assert record["gpuModel"] == H100 and record["region"] == EU_WEST
    # The match time stays with the request (a match challenge's window runs from it).
    assert _lease_part(record) == NO_LEASE | {
        "provider": provider,
        "collateral": UNITS * COLLATERAL_PER_UNIT,
        "offerId": offer_id,
        "startTime": tx.timestamp,
    }


def test_revert_when_lease_view_of_a_matched_job(market, funded, matcher, offer_id, job_market):
    rid = market.createRequest(spec(kind=JOB, jobTermsHash=JOB_TERMS), DEPOSIT, {"from": funded}).return_value
    market.matchRequests([(rid, offer_id)], {"from": matcher})
    with reverts_with("LeaseMarket_LeaseNotFound"):
        market.getLease(rid)


def test_when_rental_with_a_region_matched_then_no_byte_of_the_region_survives_in_the_lease(
    market, funded, matcher, provider, offer_id
):
    # Slot 4 holds the request's region while open and the lease's clock once matched: every byte
    # of it must be the lease's, or the region's bytes would read as a stop time or an open challenge.
    rid = market.createRequest(spec(region=EU_WEST), DEPOSIT, {"from": funded}).return_value
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    record = order(market, rid)
    assert record["status"] == R_MATCHED and record["region"] == EU_WEST
    assert _lease_part(record) == NO_LEASE | {
        "provider": provider,
        "protocolFeeBps": FEE_BPS,
        "collateral": UNITS * COLLATERAL_PER_UNIT,
        "settleBounty": SETTLE_BOUNTY,
        "startTime": tx.timestamp,
        "offerId": offer_id,
    }


def test_when_job_requested_then_tenant_and_terms_hash_views_show_them_before_and_after_the_match(
    market, funded, matcher, offer_id, job_market
):
    rid = market.createRequest(spec(kind=JOB, jobTermsHash=JOB_TERMS), DEPOSIT, {"from": funded}).return_value
    assert (market.tenantOf(rid), market.jobTermsHashOf(rid)) == (funded, JOB_TERMS)
    market.matchRequests([(rid, offer_id)], {"from": matcher})
    # The job market reads both here for the job's whole life.
    assert (market.tenantOf(rid), market.jobTermsHashOf(rid)) == (funded, JOB_TERMS)


def test_when_rental_or_unknown_id_then_terms_hash_view_is_zero(market, funded, request_id):
    assert (market.tenantOf(request_id), market.jobTermsHashOf(request_id)) == (funded, ZERO32)
    assert (market.tenantOf(10**6), market.jobTermsHashOf(10**6)) == (ZERO_ADDRESS, ZERO32)
