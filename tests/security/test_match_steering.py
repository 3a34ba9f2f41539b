"""Issue 12, the `matcher-steering` strategy on a real chain: it now loses money, and an honest
matcher that read the book a block before a cheaper offer appeared is never slashed.

The steerer is one player with two accounts: the bonded `matcher` and the `provider` whose offer
it raises to the tenant's ceiling and pairs the tenant with, although `provider2`'s offer stands
free and cheaper. A watcher's won challenge takes from the matcher's bond the tenant's
overpayment, the challenger's reward and, for the treasury, the lease's whole value
(price × units × duration): more than the lease can pay the steerer's provider, so the steerer
ends below what it would have earned matching honestly (the match fee). A cheaper offer proves
a match dominated only when it and its provider were unchanged for `graceSeconds` (60 s) before
the match (docs/matching-accountability.md)."""

import pytest
from brownie import chain

from scripts.deploy import bond_matcher

from helpers import USD, event_args, reverts_with_args
from market.support import DURATION, MATCH_FEE, MAX_PRICE, OFFER_PRICE, SETTLE_BOUNTY, UNITS, spec
from security.hostile_support import at, now

GRACE = 60
REWARD = 5 * USD
HOURS = DURATION // 3600
DEPOSIT = UNITS * MAX_PRICE * HOURS + MATCH_FEE + SETTLE_BOUNTY  # the whole day at the ceiling
OVERCHARGE = (MAX_PRICE - OFFER_PRICE) * UNITS * HOURS  # 48 USD
VALUE = MAX_PRICE * UNITS * HOURS  # 144 USD
OFFER_TERMS = (8, 30 * 86_400)  # units, max duration of the fixture's offers


def _wealth(w, accounts) -> int:
    """Tokens, matcher bond and unclaimed credits (the match fee is credited to the matcher)."""
    return sum(
        w.token.balanceOf(a) + w.matcher_bonds.bondOf(a)[0] + w.market.creditOf(a) + w.matcher_bonds.creditOf(a)
        for a in accounts
    )


def _set_price(w, provider, offer, price):
    return w.registry.updateOffer(offer, OFFER_TERMS[0], price, OFFER_TERMS[1], {"from": provider})


def _lease(w, offer, matcher=None):
    """The tenant's request for the whole day, matched by `matcher` (the world's) with `offer`."""
    rid = w.market.createRequest(spec(), DEPOSIT, {"from": w.tenant}).return_value
    tx = w.market.matchRequests([(rid, offer)], {"from": matcher or w.matcher})
    assert "LeaseStarted" in tx.events
    return rid, tx.timestamp


def test_the_grace_is_a_default_parameter(world):
    assert world.matcher_bonds.params()[4] == GRACE


def test_steering_loses_money_against_honest_matching(world):
    w = world
    steerer = (w.matcher, w.provider)
    _set_price(w, w.provider, w.offer, MAX_PRICE)  # its own offer at the tenant's ceiling
    at(now() + GRACE + 2)  # provider2's cheaper offer has stood free for longer than the grace
    before = _wealth(w, steerer)
    treasury_before = w.token.balanceOf(w.treasury)

    lease, _ = _lease(w, w.offer)
    challenge = w.matcher_bonds.challengeMatch(lease, w.offer2, {"from": w.stranger})
    assert event_args(challenge, "MatchChallenged")["toTreasury"] == VALUE
    chain.sleep(DURATION + 1)
    closed = event_args(w.market.closeLease(lease, {"from": w.tenant}), "LeaseClosed")

    profit = _wealth(w, steerer) - before
    # Its provider was paid the whole lease at the ceiling, less the protocol fee; its bond paid
    # the tenant's overpayment, the reward and the lease's value.
    assert closed["paid"] + closed["fee"] == VALUE
    assert profit == MATCH_FEE + closed["paid"] - OVERCHARGE - REWARD - VALUE
    # An honest matcher earns the match fee; the steerer loses more than the overcharge.
    assert profit < -OVERCHARGE < 0 < MATCH_FEE
    assert w.token.balanceOf(w.treasury) == treasury_before + VALUE


def test_a_steerer_challenging_itself_gets_back_only_the_reward(world):
    """The steerer's own second account challenges first, to keep the bond's slash in the family:
    the reward comes back to it, the overpayment goes to the tenant and the lease's value to the
    treasury, so it loses as much as when a watcher challenges."""
    w = world
    steerer = (w.matcher, w.provider, w.challenger)  # `challenger`: the steerer's second account
    _set_price(w, w.provider, w.offer, MAX_PRICE)
    at(now() + GRACE + 2)
    before = _wealth(w, steerer)
    lease, _ = _lease(w, w.offer)
    w.matcher_bonds.challengeMatch(lease, w.offer2, {"from": w.challenger})
    chain.sleep(DURATION + 1)
    closed = event_args(w.market.closeLease(lease, {"from": w.tenant}), "LeaseClosed")
    assert _wealth(w, steerer) - before == MATCH_FEE + closed["paid"] - OVERCHARGE - VALUE < 0


@pytest.mark.parametrize("how", ["price_cut", "units_freed"])
def test_an_honest_matcher_one_block_late_is_not_slashed(world, how):
    """Offer 1 is the cheapest the matcher could see when it read the book; a block before its
    match lands, offer 2 becomes cheaper (a price cut) or free again (a lease on it ends). The
    match is dominated on the chain's books at its block, but not by an offer that stood for the
    grace: the challenge is refused and the bond is whole."""
    w = world
    # Five leases in one window: a bond whose exposure cap (half of it) holds them all.
    bond_matcher(w.matcher_bonds, w.token, w.matcher, 1_000 * USD)
    bond = w.matcher_bonds.bondOf(w.matcher)[0]
    _set_price(w, w.provider, w.offer, MAX_PRICE)
    if how == "price_cut":
        _set_price(w, w.provider2, w.offer2, MAX_PRICE + USD)  # dearer than offer 1 when read
        at(now() + GRACE + 2)
        rid = w.market.createRequest(spec(), DEPOSIT, {"from": w.tenant}).return_value
        changed = _set_price(w, w.provider2, w.offer2, OFFER_PRICE).timestamp  # the block before
    else:
        # Offer 2 is full when the matcher reads the book: four leases hold its eight units.
        held = [_lease(w, w.offer2)[0] for _ in range(4)]
        at(now() + GRACE + 2)
        rid = w.market.createRequest(spec(), DEPOSIT, {"from": w.tenant}).return_value
        changed = w.market.closeLease(held[0], {"from": w.tenant}).timestamp  # two units free again
    start = w.market.matchRequests([(rid, w.offer)], {"from": w.matcher}).timestamp
    assert start - changed <= 2  # the next block or so: no matcher could have seen it

    with reverts_with_args("MatcherBonds_OfferChangedSinceMatch", w.offer2, changed, start - GRACE):
        w.matcher_bonds.challengeMatch(rid, w.offer2, {"from": w.stranger})
    # Even after the window passes by, the match stays unchallengeable; the bond is whole.
    assert w.matcher_bonds.bondOf(w.matcher)[0] == bond


def test_an_offer_that_stood_longer_than_the_grace_proves_the_match_dominated(world):
    """The other side of the grace: cut GRACE + 1 seconds before the match, offer 2 was on the
    book long enough for any matcher to see, and the challenge wins."""
    w = world
    _set_price(w, w.provider, w.offer, MAX_PRICE)
    _set_price(w, w.provider2, w.offer2, MAX_PRICE + USD)
    at(now() + GRACE + 2)
    rid = w.market.createRequest(spec(), DEPOSIT, {"from": w.tenant}).return_value
    changed = _set_price(w, w.provider2, w.offer2, OFFER_PRICE).timestamp
    at(changed + GRACE + 1)
    start = w.market.matchRequests([(rid, w.offer)], {"from": w.matcher}).timestamp
    assert start == changed + GRACE + 1
    tx = w.matcher_bonds.challengeMatch(rid, w.offer2, {"from": w.stranger})
    assert event_args(tx, "MatchChallenged")["toTenant"] == OVERCHARGE
