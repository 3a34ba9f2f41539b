"""Re-match (docs/leases.md, "Re-match"): a lease of a request that opted in and ended by its
provider's liveness failure or reclaim re-opens its unused deposit as a new request with the same
spec and manifest commitment and that provider excluded, at most MAX_REMATCHES times; no other end
re-opens anything, and every token stays accounted for."""

import brownie
import pytest
from eth_account import Account

from keepers.contracts.types import MAX_REMATCHES, REMATCH_WINDOW_SECONDS
from keepers.signed_requests import request_tuple, sign_request

from helpers import ZERO_ADDRESS, b32, event_args, register_with_offer, reverts_with, reverts_with_args
from market.support import (
    DEPOSIT,
    DURATION,
    EU_WEST,
    H100,
    LIVENESS_SPACING,
    LIVENESS_WINDOW,
    MATCH_FEE,
    MAX_PRICE,
    OFFER_MAX_DURATION,
    OFFER_PRICE,
    PROVIDER_EXCLUDED,
    R_CANCELLED,
    R_MATCHED,
    R_OPEN,
    SETTLE_BOUNTY,
    STAKE,
    UNITS,
    ZERO32,
    now,
    order,
    sleep_to,
    spec,
)

MANIFEST = b32("manifest-commitment")
NO_PERMIT = (0, 0, "0x" + "00" * 32, "0x" + "00" * 32)


def _opted_in(market, tenant, offer, matcher, deposit=DEPOSIT, **overrides):
    """A lease of an opted-in request with a manifest commitment, matched with `offer`."""
    fields = {"rematch": True, "jobTermsHash": MANIFEST} | overrides
    rid = market.createRequest(spec(**fields), deposit, {"from": tenant}).return_value
    market.matchRequests([(rid, offer)], {"from": matcher})
    assert order(market, rid)["status"] == R_MATCHED
    return rid


def _fail(market, lease_id, challenger, resolver):
    """The provider leaves a liveness challenge unanswered; returns the resolution."""
    sleep_to(max(now(), order(market, lease_id)["startTime"]) + LIVENESS_SPACING)
    challenge = market.challengeLiveness(lease_id, {"from": challenger})
    sleep_to(challenge.timestamp + LIVENESS_WINDOW)
    return market.resolveLiveness(lease_id, {"from": resolver})


def _open_escrows(market) -> int:
    """What every open request holds."""
    return sum(
        order(market, rid)["escrow"]
        for rid in range(1, market.nextRequestId())
        if market.requestStatusOf(rid) in (R_OPEN, 2)  # OPEN, or EXPIRED (still holding its deposit)
    )


def _conserved(market, token, matcher):
    """The market holds exactly its fees, the matcher's credited fees and the open requests' deposits
    (these tests leave no lease running when they check)."""
    assert token.balanceOf(market) == market.accruedFees() + market.creditOf(matcher) + _open_escrows(market)


@pytest.fixture
def second_offer(registry, provider, h100):
    """A second offer of `provider`: the address a failed provider would hope to be re-matched by."""
    return registry.addOffer(h100, 8, OFFER_PRICE, OFFER_MAX_DURATION, {"from": provider}).return_value


def test_when_a_provider_fails_an_opted_in_lease_then_its_deposit_reopens_without_that_provider(
    market, token, funded, matcher, provider, provider2, stranger, accounts, offer_id, offer2_id, second_offer
):
    lease = _opted_in(market, funded, offer_id, matcher)
    assert order(market, lease)["rematchesLeft"] == MAX_REMATCHES
    tenant_before = token.balanceOf(funded)
    tx = _fail(market, lease, stranger, accounts[8])

    refund = event_args(tx, "LeaseClosed")["refunded"]
    reopened = event_args(tx, "RequestReopened")
    new = market.nextRequestId() - 1
    assert reopened == {
        "leaseId": lease,
        "requestId": new,
        "tenant": funded,
        "excludedProvider": provider,
        "deposit": refund,
        "rematchesLeft": MAX_REMATCHES - 1,
    }
    # The refund stayed in the market as the new request's deposit; only the slash's share reached the tenant.
    assert token.balanceOf(funded) - tenant_before == event_args(tx, "ProviderSlashed")["toTenant"]
    request = order(market, new)
    assert request["status"] == R_OPEN and request["escrow"] == refund and request["tenant"] == funded
    assert (request["gpuModel"], request["region"], request["jobTermsHash"]) == (H100, ZERO32, MANIFEST)
    assert (request["pricePerUnitHour"], request["units"], request["durationSeconds"]) == (MAX_PRICE, UNITS, DURATION)
    assert request["matchDeadline"] == tx.timestamp + REMATCH_WINDOW_SECONDS
    assert (request["excludedProvider"], request["reopenedFrom"]) == (provider, lease)
    assert request["rematchesLeft"] == MAX_REMATCHES - 1 and request["provider"] == ZERO_ADDRESS
    assert market.jobTermsHashOf(new) == MANIFEST
    _conserved(market, token, matcher)

    # Neither of the failed provider's offers can take it; another provider's can.
    tx = market.matchRequests([(new, offer_id), (new, second_offer), (new, offer2_id)], {"from": matcher})
    skipped = [(e["offerId"], e["reason"]) for e in tx.events["MatchSkipped"]]
    assert skipped == [(offer_id, PROVIDER_EXCLUDED), (second_offer, PROVIDER_EXCLUDED)]
    started = event_args(tx, "LeaseStarted")
    assert started["provider"] == provider2 and started["balance"] == refund - MATCH_FEE - SETTLE_BOUNTY
    lease2 = order(market, new)
    assert lease2["provider"] == provider2 and (lease2["excludedProvider"], lease2["reopenedFrom"]) == (provider, lease)
    assert lease2["jobTermsHash"] == MANIFEST


def test_when_a_provider_reclaims_an_opted_in_lease_then_the_refund_and_bounty_reopen(
    market, token, funded, matcher, provider, offer_id
):
    # Longer than the notice, and funded past it.
    lease = _opted_in(market, funded, offer_id, matcher, deposit=3 * DEPOSIT, maxDurationSeconds=3 * DURATION)
    market.requestReclaim(lease, {"from": provider})
    sleep_to(order(market, lease)["reclaimableAt"])
    tenant_before = token.balanceOf(funded)
    tx = market.closeLease(lease, {"from": provider})
    closed = event_args(tx, "LeaseClosed")
    reopened = event_args(tx, "RequestReopened")
    # The provider closed: the bounty is the tenant's, so it goes into the new deposit with the refund.
    assert reopened["deposit"] == closed["refunded"] + SETTLE_BOUNTY and reopened["excludedProvider"] == provider
    assert token.balanceOf(funded) == tenant_before
    assert order(market, reopened["requestId"])["escrow"] == reopened["deposit"]
    _conserved(market, token, matcher)


def test_when_a_lease_ends_otherwise_then_nothing_reopens(market, token, funded, matcher, stranger, offer_id):
    """A tenant's close (with or without a challenge open), expiry and insolvency refund as ever."""
    closed_by_tenant = _opted_in(market, funded, offer_id, matcher)
    tx = market.closeLease(closed_by_tenant, {"from": funded})
    assert "RequestReopened" not in tx.events

    challenged = _opted_in(market, funded, offer_id, matcher)
    sleep_to(order(market, challenged)["startTime"] + LIVENESS_SPACING)
    market.challengeLiveness(challenged, {"from": stranger})
    tx = market.closeLease(challenged, {"from": funded})
    assert "LivenessCalledOff" in tx.events and "RequestReopened" not in tx.events

    expiring = _opted_in(market, funded, offer_id, matcher)
    sleep_to(order(market, expiring)["startTime"] + DURATION)
    tx = market.closeLease(expiring, {"from": stranger})
    assert "RequestReopened" not in tx.events

    short = MATCH_FEE + SETTLE_BOUNTY + UNITS * MAX_PRICE  # an hour at most of balance
    insolvent = _opted_in(market, funded, offer_id, matcher, deposit=short)
    sleep_to(order(market, insolvent)["startTime"] + 2 * 3600)
    tx = market.closeLeases([insolvent], {"from": stranger})
    assert "LeaseClosed" in tx.events and "RequestReopened" not in tx.events
    assert market.nextRequestId() == insolvent + 1
    _conserved(market, token, matcher)


def test_when_a_lease_did_not_opt_in_then_a_failure_refunds(
    market, token, funded, matcher, stranger, accounts, offer_id
):
    rid = market.createRequest(spec(), DEPOSIT, {"from": funded}).return_value
    market.matchRequests([(rid, offer_id)], {"from": matcher})
    assert order(market, rid)["rematchesLeft"] == 0
    before = token.balanceOf(funded)
    tx = _fail(market, rid, stranger, accounts[8])
    assert "RequestReopened" not in tx.events and market.nextRequestId() == rid + 1
    refund = event_args(tx, "LeaseClosed")["refunded"]
    assert token.balanceOf(funded) - before == refund + event_args(tx, "ProviderSlashed")["toTenant"]
    _conserved(market, token, matcher)


def test_when_a_reopened_request_is_cancelled_then_its_deposit_is_refunded(
    market, token, funded, matcher, stranger, accounts, offer_id
):
    lease = _opted_in(market, funded, offer_id, matcher)
    reopened = event_args(_fail(market, lease, stranger, accounts[8]), "RequestReopened")
    new = reopened["requestId"]
    before = token.balanceOf(funded)
    with reverts_with("LeaseMarket_CancelNotAllowed"):
        market.cancelRequest(new, {"from": stranger})
    tx = market.cancelRequest(new, {"from": funded})
    assert event_args(tx, "RequestCancelled")["refunded"] == reopened["deposit"]
    assert token.balanceOf(funded) - before == reopened["deposit"]
    assert order(market, new)["status"] == R_CANCELLED
    _conserved(market, token, matcher)


def test_when_a_reopened_request_is_not_matched_in_its_window_then_anyone_refunds_the_tenant(
    market, token, funded, matcher, stranger, accounts, offer_id
):
    lease = _opted_in(market, funded, offer_id, matcher)
    tx = _fail(market, lease, stranger, accounts[8])
    reopened = event_args(tx, "RequestReopened")
    sleep_to(tx.timestamp + REMATCH_WINDOW_SECONDS)
    before = token.balanceOf(funded)
    market.cancelRequest(reopened["requestId"], {"from": stranger})
    assert token.balanceOf(funded) - before == reopened["deposit"]
    _conserved(market, token, matcher)


def test_a_request_is_reopened_at_most_max_rematches_times(
    market, token, funded, matcher, stranger, accounts, offer_id, offer2_id
):
    lease = _opted_in(market, funded, offer_id, matcher)
    offers = [offer2_id, offer_id]
    for round_ in range(MAX_REMATCHES):
        reopened = event_args(_fail(market, lease, stranger, accounts[8]), "RequestReopened")
        assert reopened["rematchesLeft"] == MAX_REMATCHES - 1 - round_
        lease = reopened["requestId"]
        market.matchRequests([(lease, offers[round_ % 2])], {"from": matcher})
        assert order(market, lease)["status"] == R_MATCHED
    # The last re-opened request's lease fails too: refunded, as for a lease that did not opt in.
    before = token.balanceOf(funded)
    tx = _fail(market, lease, stranger, accounts[8])
    assert "RequestReopened" not in tx.events
    assert token.balanceOf(funded) - before == (
        event_args(tx, "LeaseClosed")["refunded"] + event_args(tx, "ProviderSlashed")["toTenant"]
    )
    _conserved(market, token, matcher)


def test_when_the_unused_deposit_is_below_the_minimum_then_it_is_refunded(
    market, token, funded, matcher, stranger, accounts, offer_id
):
    """Past an hour and a half of a lease funded for two hours at the offer's price, what is left
    cannot pay the match fee, the bounty and an hour at the request's maximum price."""
    deposit = MATCH_FEE + SETTLE_BOUNTY + 2 * UNITS * OFFER_PRICE
    lease = _opted_in(market, funded, offer_id, matcher, deposit=deposit)
    before = token.balanceOf(funded)
    tx = _fail(market, lease, stranger, accounts[8])
    assert "RequestReopened" not in tx.events
    refund = event_args(tx, "LeaseClosed")["refunded"]
    assert 0 < refund < MATCH_FEE + SETTLE_BOUNTY + UNITS * MAX_PRICE
    assert token.balanceOf(funded) - before == refund + event_args(tx, "ProviderSlashed")["toTenant"]
    _conserved(market, token, matcher)


def test_when_paused_then_a_failure_refunds(
    market, config, governance, token, funded, matcher, stranger, accounts, offer_id
):
    lease = _opted_in(market, funded, offer_id, matcher)
    config.pause({"from": governance})
    tx = _fail(market, lease, stranger, accounts[8])
    assert "RequestReopened" not in tx.events
    _conserved(market, token, matcher)


def test_a_reopened_request_keeps_a_named_region_and_the_next_reopen_keeps_it_too(
    market, token, funded, matcher, stranger, accounts, offer_id, registry, h100
):
    """The target the lease overwrote comes back from the kept spec, through every re-open."""
    lease = _opted_in(market, funded, offer_id, matcher, region=EU_WEST)
    first = event_args(_fail(market, lease, stranger, accounts[8]), "RequestReopened")["requestId"]
    assert (order(market, first)["region"], order(market, first)["gpuModel"]) == (EU_WEST, H100)
    # A second eu-west provider takes it, and fails it in turn.
    other = accounts[7]
    other_offer = register_with_offer(
        registry,
        token,
        other,
        region=EU_WEST,
        metadata_uri="https://gpu.example.org/other.json",
        stake=STAKE,
        gpu_model=h100,
        units=8,
        price=OFFER_PRICE,
        max_duration=OFFER_MAX_DURATION,
    )
    market.matchRequests([(first, other_offer)], {"from": matcher})
    second = event_args(_fail(market, first, stranger, accounts[8]), "RequestReopened")
    request = order(market, second["requestId"])
    assert (request["region"], request["gpuModel"], request["pricePerUnitHour"]) == (EU_WEST, H100, MAX_PRICE)
    assert second["excludedProvider"] == other and request["rematchesLeft"] == MAX_REMATCHES - 2


def test_revert_when_a_job_asks_for_rematch(market, funded, job_market):
    with reverts_with("LeaseMarket_RematchNotRental"):
        market.createRequest(spec(kind=1, jobTermsHash=b32("job-terms"), rematch=True), DEPOSIT, {"from": funded})


def test_a_signed_request_can_opt_in(market, token, governance, matcher, offer_id):
    """The EIP-712 type carries the flag: the contract accepts what the keepers sign with it set."""
    key = Account.create().key
    tenant = Account.from_key(key).address
    token.mint(tenant, DEPOSIT, {"from": governance})
    owner = brownie.accounts.add(key.hex())
    governance.transfer(owner, 10**17)
    token.approve(market, DEPOSIT, {"from": owner})
    fields = spec(rematch=True)
    deadline = now() + 600
    signature = sign_request(key, brownie.chain.id, market.address, fields, DEPOSIT, 1, deadline)
    request = request_tuple(tenant, fields, DEPOSIT, 1, deadline)
    tx = market.matchSignedRequest(request, NO_PERMIT, signature, offer_id, {"from": matcher})
    assert order(market, tx.return_value)["rematchesLeft"] == MAX_REMATCHES


def test_a_match_of_a_reopened_request_cannot_be_challenged_with_the_excluded_providers_offer(
    market, matcher_bonds, registry, funded, matcher, provider, provider2, stranger, accounts, offer_id, offer2_id
):
    """The matcher followed the exclusion: the failed provider's cheaper offer proves nothing."""
    lease = _opted_in(market, funded, offer_id, matcher)
    _fail(market, lease, stranger, accounts[8])
    new = market.nextRequestId() - 1
    # The only offer the matcher may use costs the ceiling; the excluded one stays cheaper.
    registry.updateOffer(offer2_id, 8, MAX_PRICE, OFFER_MAX_DURATION, {"from": provider2})
    sleep_to(now() + 3600)  # past the match-challenge grace of every offer
    market.matchRequests([(new, offer2_id)], {"from": matcher})
    assert order(market, new)["provider"] == provider2

    with reverts_with_args("MatcherBonds_OfferNotBetter", offer_id, PROVIDER_EXCLUDED):
        matcher_bonds.challengeMatch(new, offer_id, {"from": stranger})
    assert not matcher_bonds.challenged(new)
