"""Accountable matching (docs/matching-accountability.md): matchers bond, anyone may challenge a
match with an offer that was free at the match (and for the grace before it), met the request and
was strictly cheaper; a won challenge pays the tenant what it overpays, the challenger a reward and
the treasury the lease's whole value from the matcher's bond.

The steering attack of issue 12: a matcher that also runs a provider pairs a tenant with its own
offer at the tenant's price ceiling while a cheaper offer stands free."""

import pytest
from brownie import chain

from scripts.deploy import bond_matcher

from helpers import USD, event_args, reverts_with_args
from market.support import (
    ACTIVE,
    EU_WEST,
    MATCH_FEE,
    MAX_PRICE,
    OFFER_MAX_DURATION,
    OFFER_PRICE,
    OFFER_UNITS,
    PRICE_TOO_HIGH,
    REGION_MISMATCH,
    SETTLE_BOUNTY,
    UNITS,
    sleep_to,
    spec,
)

# The whole day at the ceiling, so the overcharge is the price difference over the full lease.
FULL_DEPOSIT = UNITS * MAX_PRICE * 24 + MATCH_FEE + SETTLE_BOUNTY
OVERCHARGE = (MAX_PRICE - OFFER_PRICE) * UNITS * 24  # 48 USD over the day
VALUE = MAX_PRICE * UNITS * 24  # the steered lease's whole value: 144 USD, disgorged to the treasury
MIN_BOND = 1_000 * USD
REWARD = 5 * USD
WINDOW = 3600
DELAY = 2 * 86_400
GRACE = 60


def _ints(values) -> tuple:
    return tuple(int(v) for v in values)


@pytest.fixture
def steered(market, registry, matcher, provider, offer_id, offer2_id, funded):
    """The matcher's own provider (`provider`, offer 1) raised to the tenant's ceiling; the
    matcher pairs the request with it although offer 2 stands free at 2 USD, and has for longer
    than the grace. (lease id, start)."""
    registry.updateOffer(offer_id, OFFER_UNITS, MAX_PRICE, OFFER_MAX_DURATION, {"from": provider})
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    chain.sleep(GRACE + 2)
    tx = market.matchRequests([(rid, offer_id)], {"from": matcher})
    return rid, tx.timestamp


def test_the_defaults_are_those_documented(matcher_bonds):
    assert _ints(matcher_bonds.params()) == (MIN_BOND, REWARD, WINDOW, DELAY, GRACE)


def test_a_steered_match_costs_the_matcher_more_than_the_lease_earns_and_makes_the_tenant_whole(
    market, matcher_bonds, token, matcher, tenant, stranger, treasury, provider, offer2_id, steered
):
    lease, _ = steered
    tenant_before, challenger_before = token.balanceOf(tenant), token.balanceOf(stranger)
    treasury_before = token.balanceOf(treasury)

    tx = matcher_bonds.challengeMatch(lease, offer2_id, {"from": stranger})

    assert event_args(tx, "MatchChallenged") == {
        "leaseId": lease,
        "matcher": matcher,
        "challenger": stranger,
        "offerId": offer2_id,
        "toTenant": OVERCHARGE,
        "toChallenger": REWARD,
        "toTreasury": VALUE,
    }
    assert token.balanceOf(tenant) == tenant_before + OVERCHARGE
    assert token.balanceOf(stranger) == challenger_before + REWARD
    assert token.balanceOf(treasury) == treasury_before + VALUE
    assert matcher_bonds.bondOf(matcher)[0] == MIN_BOND - OVERCHARGE - REWARD - VALUE
    assert matcher_bonds.challenged(lease)
    # The lease itself runs on unchanged: the tenant keeps its compute.
    assert market.statusOf(lease) == ACTIVE
    assert market.getLease(lease)[6] == MAX_PRICE  # pricePerUnitHour

    # Run the lease out: the matcher's provider earns the whole lease (less the protocol fee) and
    # the matcher loses more than that: the lease, not only its overcharge, is disgorged; the
    # tenant paid, net, what offer 2 would have cost.
    chain.sleep(86_400 + 1)
    closed = event_args(market.closeLease(lease, {"from": tenant}), "LeaseClosed")
    earned = closed["paid"]
    slashed = MIN_BOND - matcher_bonds.bondOf(matcher)[0]
    assert earned > 0 and slashed - earned >= OVERCHARGE + REWARD
    tenant_net_cost = (FULL_DEPOSIT - MATCH_FEE - SETTLE_BOUNTY) - closed["refunded"] - OVERCHARGE
    assert tenant_net_cost == OFFER_PRICE * UNITS * 24


def test_a_match_pays_once(matcher_bonds, stranger, offer2_id, steered):
    lease, _ = steered
    matcher_bonds.challengeMatch(lease, offer2_id, {"from": stranger})
    with reverts_with_args("MatcherBonds_AlreadyChallenged", lease):
        matcher_bonds.challengeMatch(lease, offer2_id, {"from": stranger})


def test_a_challenge_naming_the_matched_offer_is_refused(matcher_bonds, stranger, offer_id, steered):
    lease, _ = steered
    with reverts_with_args("MatcherBonds_SameOffer", lease, offer_id):
        matcher_bonds.challengeMatch(lease, offer_id, {"from": stranger})


def test_a_challenge_naming_an_offer_no_cheaper_is_refused(
    market, matcher_bonds, matcher, stranger, funded, offer_id, offer2_id
):
    # An honest match: offer 2 at 2 USD; offer 1 is at 2 USD too, not strictly better.
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    chain.sleep(2)
    market.matchRequests([(rid, offer2_id)], {"from": matcher})
    with reverts_with_args("MatcherBonds_OfferNotBetter", offer_id, PRICE_TOO_HIGH):
        matcher_bonds.challengeMatch(rid, offer_id, {"from": stranger})
    assert matcher_bonds.bondOf(matcher)[0] == MIN_BOND


def test_a_challenge_naming_an_offer_cut_in_price_after_the_match_is_refused(
    market, registry, matcher_bonds, matcher, stranger, funded, provider2, offer_id, offer2_id
):
    # An honest match at the best price there was; offer 2 undercuts it only afterwards.
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    chain.sleep(GRACE + 2)
    start = market.matchRequests([(rid, offer_id)], {"from": matcher}).timestamp
    changed = registry.updateOffer(offer2_id, OFFER_UNITS, OFFER_PRICE // 2, OFFER_MAX_DURATION, {"from": provider2})
    assert registry.offer(offer2_id)["changedAt"] == changed.timestamp
    with reverts_with_args("MatcherBonds_OfferChangedSinceMatch", offer2_id, changed.timestamp, start - GRACE):
        matcher_bonds.challengeMatch(rid, offer2_id, {"from": stranger})


def test_a_challenge_naming_an_offer_unpaused_after_the_match_is_refused(
    market, registry, matcher_bonds, matcher, stranger, provider2, offer2_id, steered
):
    lease, start = steered
    registry.pauseOffer(offer2_id, True, {"from": provider2})
    unpaused = registry.pauseOffer(offer2_id, False, {"from": provider2})
    with reverts_with_args("MatcherBonds_OfferChangedSinceMatch", offer2_id, unpaused.timestamp, start - GRACE):
        matcher_bonds.challengeMatch(lease, offer2_id, {"from": stranger})


def test_stake_added_after_the_match_cannot_prove_the_offer_was_free(
    market, registry, token, matcher_bonds, matcher, stranger, funded, provider, provider2, offer_id, offer2_id
):
    """A provider and a challenger in collusion: offer 2 is cheaper but its provider kept too
    little free stake to take the request, so the honest matcher took offer 1; stake added after
    the match must not let them take the matcher's bond."""
    registry.updateOffer(offer_id, OFFER_UNITS, MAX_PRICE, OFFER_MAX_DURATION, {"from": provider})
    registry.requestUnstake(7_000 * USD, {"from": provider2})  # 3,000 free < 4,000 collateral
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    chain.sleep(GRACE + 2)
    start = market.matchRequests([(rid, offer_id)], {"from": matcher}).timestamp
    token.mint(provider2, 7_000 * USD, {"from": provider2})
    token.approve(registry, 7_000 * USD, {"from": provider2})
    staked = registry.stake(7_000 * USD, {"from": provider2})
    assert registry.checkMatch(offer2_id, _terms_of(market, rid, funded)) == 0  # feasible now
    with reverts_with_args(
        "MatcherBonds_ProviderChangedSinceMatch", provider2.address, staked.timestamp, start - GRACE
    ):
        matcher_bonds.challengeMatch(rid, offer2_id, {"from": stranger})
    assert matcher_bonds.bondOf(matcher)[0] == MIN_BOND


def _terms_of(market, rid, tenant):
    lease = market.getLease(rid)
    return (tenant, lease["gpuModel"], "0x" + "00" * 32, MAX_PRICE - 1, lease["durationSeconds"], UNITS, 0, 0, 0)


def test_a_challenge_after_the_window_is_refused(matcher_bonds, stranger, offer2_id, steered):
    lease, start = steered
    sleep_to(start + WINDOW)
    with reverts_with_args("MatcherBonds_ChallengeWindowClosed", lease, start + WINDOW, start + WINDOW + 1):
        matcher_bonds.challengeMatch(lease, offer2_id, {"from": stranger})


def test_a_challenge_honours_the_region_the_request_named(
    market, registry, matcher_bonds, matcher, stranger, funded, provider, offer_id, offer2_id
):
    # The tenant asked for eu-west: offer 2 (us-east) is cheaper but could not have taken it.
    registry.updateOffer(offer_id, OFFER_UNITS, MAX_PRICE, OFFER_MAX_DURATION, {"from": provider})
    rid = market.createRequest(spec(region=EU_WEST), FULL_DEPOSIT, {"from": funded}).return_value
    chain.sleep(2)
    market.matchRequests([(rid, offer_id)], {"from": matcher})
    with reverts_with_args("MatcherBonds_OfferNotBetter", offer2_id, REGION_MISMATCH):
        matcher_bonds.challengeMatch(rid, offer2_id, {"from": stranger})


def test_a_matched_provider_keeps_its_region_while_its_stake_is_locked(registry, provider, steered):
    with reverts_with_args("ProviderRegistry_RegionLocked", provider.address, UNITS * 2_000 * USD):
        registry.updateProvider(b"us-east".ljust(32, b"\0"), "https://gpu.example.org/p.json", {"from": provider})


def test_a_reservation_leaves_the_offer_timestamp_and_a_release_sets_it(
    market, registry, offer_id, funded, tenant, matcher
):
    before = registry.offer(offer_id)["changedAt"]
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    chain.sleep(2)
    market.matchRequests([(rid, offer_id)], {"from": matcher})
    assert registry.offer(offer_id)["changedAt"] == before
    closed = market.closeLease(rid, {"from": tenant})
    assert registry.offer(offer_id)["changedAt"] == closed.timestamp


# --- bonds ---------------------------------------------------------------------------------------


def test_an_unbonded_account_cannot_match(market, stranger, funded, offer_id):
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    with reverts_with_args("MatcherBonds_NotBonded", stranger.address, 0, MIN_BOND):
        market.matchRequests([(rid, offer_id)], {"from": stranger})


def test_a_bond_waits_out_the_delay_and_stays_slashable_meanwhile(
    market, matcher_bonds, token, matcher, stranger, funded, offer2_id, steered
):
    lease, _ = steered
    # What backs the open window's matches (twice their value, docs/matching-accountability.md)
    # cannot start unbonding before the window ends; the rest can.
    exposure = market.exposureOf(matcher)[0]
    assert exposure == VALUE
    unbond = MIN_BOND - 2 * exposure
    requested = matcher_bonds.requestUnbond(unbond, {"from": matcher})
    ready = requested.timestamp + DELAY
    assert event_args(requested, "UnbondRequested") == {"matcher": matcher, "unbonding": unbond, "readyAt": ready}
    # Unbonding, it may no longer match.
    rid = market.createRequest(spec(), FULL_DEPOSIT, {"from": funded}).return_value
    with reverts_with_args("MatcherBonds_NotBonded", matcher.address, 2 * exposure, MIN_BOND):
        market.matchRequests([(rid, offer2_id)], {"from": matcher})
    # The challenge of its last match still reaches the bond, the unbonding part included.
    matcher_bonds.challengeMatch(lease, offer2_id, {"from": stranger})
    left = MIN_BOND - OVERCHARGE - REWARD - VALUE
    assert _ints(matcher_bonds.bondOf(matcher)[:2]) == (left, unbond)
    sleep_to(ready - 2)
    with reverts_with_args("MatcherBonds_UnbondingNotReady", ready, ready - 1):
        matcher_bonds.withdrawUnbonded({"from": matcher})
    sleep_to(ready - 1)
    before = token.balanceOf(matcher)
    matcher_bonds.withdrawUnbonded({"from": matcher})
    assert token.balanceOf(matcher) == before + unbond
    assert _ints(matcher_bonds.bondOf(matcher)[:3]) == (left - unbond, 0, 0)
    assert not matcher_bonds.isMatcher(matcher)


def test_bond_for_another_account_names_it_and_only_it_unbonds(matcher_bonds, token, stranger, accounts):
    operator, keeper_key = accounts[8], accounts.add()
    bond_matcher(matcher_bonds, token, keeper_key.address, payer=operator)
    assert matcher_bonds.isMatcher(keeper_key.address)
    assert matcher_bonds.matcherOf(matcher_bonds.bondOf(keeper_key.address)[3]) == keeper_key.address
    with reverts_with_args("MatcherBonds_InsufficientBond", MIN_BOND, 0):
        matcher_bonds.requestUnbond(MIN_BOND, {"from": operator})


def test_parameters_are_bounded_and_governed(matcher_bonds, governance, stranger):
    with reverts_with_args("MatcherBonds_CallerNotGovernance", stranger.address):
        matcher_bonds.setParams((MIN_BOND, REWARD, WINDOW, DELAY, GRACE), {"from": stranger})
    # The unbonding delay must outlast the challenge window.
    with reverts_with_args("MatcherBonds_ParamOutOfRange", "unbondingDelaySeconds", WINDOW, WINDOW + 1, 90 * 86_400):
        matcher_bonds.setParams((MIN_BOND, REWARD, WINDOW, WINDOW, GRACE), {"from": governance})
    with reverts_with_args("MatcherBonds_ParamOutOfRange", "challengerReward", MIN_BOND + 1, 0, MIN_BOND):
        matcher_bonds.setParams((MIN_BOND, MIN_BOND + 1, WINDOW, DELAY, GRACE), {"from": governance})
    with reverts_with_args("MatcherBonds_ParamOutOfRange", "minBond", 0, 1, 10**30):
        matcher_bonds.setParams((0, 0, WINDOW, DELAY, GRACE), {"from": governance})
    # A grace longer than an hour would let a steerer pick offers changed just inside it.
    with reverts_with_args("MatcherBonds_ParamOutOfRange", "graceSeconds", 3601, 0, 3600):
        matcher_bonds.setParams((MIN_BOND, REWARD, WINDOW, DELAY, 3601), {"from": governance})
    tx = matcher_bonds.setParams((2 * MIN_BOND, REWARD, 2 * WINDOW, DELAY, 0), {"from": governance})
    assert "ParamsSet" in tx.events
    assert _ints(matcher_bonds.params()) == (2 * MIN_BOND, REWARD, 2 * WINDOW, DELAY, 0)


def test_the_lease_market_is_named_once(matcher_bonds, market, governance):
    with reverts_with_args("MatcherBonds_LeaseMarketAlreadySet", market.address):
        matcher_bonds.setLeaseMarket(market, {"from": governance})
