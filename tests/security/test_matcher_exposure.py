"""Issue 12, property 8 without its two holes (docs/matching-accountability.md, "The exposure cap"
and "JOB matches"), on a real chain.

- A steerer that matches more lease value within one challenge window than half its bond is
  refused the excess: the chain skips the pair (EXPOSURE_CAP), so every steered lease it did
  match is backed by the bond in full, and each won challenge takes the lease's whole value.
- A JOB match can be challenged like a lease's: an offer that accepts the job's terms (its job
  policy), free at the match and strictly cheaper, makes the matcher pay the tenant, the
  challenger and, for the treasury, the job's price.
- The bond backing open exposure cannot be unbonded.
"""

from brownie import chain

from helpers import USD, event_args, reverts_with_args
from jobs.support import DEPOSIT as JOB_DEPOSIT
from jobs.support import H100, HASHCHAIN, JOB_KIND, SEED, ZERO32, make_terms
from market.support import (
    DURATION,
    EXPOSURE_CAP,
    JOB_TERMS_REFUSED,
    MATCH_FEE,
    MAX_PRICE,
    SETTLE_BOUNTY,
    UNITS,
    spec,
)
from security.hostile_support import at, now

GRACE = 60
REWARD = 5 * USD
HOURS = DURATION // 3600
DEPOSIT = UNITS * MAX_PRICE * HOURS + MATCH_FEE + SETTLE_BOUNTY
VALUE = MAX_PRICE * UNITS * HOURS  # 144 USD: the value of one steered lease at the ceiling
CHEAP = 2 * USD  # offer2's price
OVERCHARGE = (MAX_PRICE - CHEAP) * UNITS * HOURS  # 48 USD
OFFER_TERMS = (8, 30 * 86_400)
DAY = 86_400


def _steer(w):
    """The steerer's provider raises its offer to the tenant's ceiling; provider2's cheaper offer
    then stands free for longer than the grace."""
    w.registry.updateOffer(w.offer, OFFER_TERMS[0], MAX_PRICE, OFFER_TERMS[1], {"from": w.provider})
    at(now() + GRACE + 2)


def _wealth(w, accounts) -> int:
    return sum(
        w.token.balanceOf(a) + w.matcher_bonds.bondOf(a)[0] + w.market.creditOf(a) + w.matcher_bonds.creditOf(a)
        for a in accounts
    )


def test_a_steerer_above_half_its_bond_is_skipped_and_every_steered_lease_costs_it_the_whole_value(world):
    w = world
    bond = w.matcher_bonds.bondOf(w.matcher)[0]
    _, cap, window = w.matcher_bonds.matchTermsOf(w.matcher)
    assert cap == bond // 2
    fits = cap // VALUE  # steered leases the cap lets through in one window (3 for a 1,000 USD bond)
    _steer(w)
    before = _wealth(w, (w.matcher, w.provider))
    treasury_before = w.token.balanceOf(w.treasury)

    requests = [w.market.createRequest(spec(), DEPOSIT, {"from": w.tenant}).return_value for _ in range(fits + 1)]
    tx = w.market.matchRequests([(r, w.offer) for r in requests], {"from": w.matcher})

    started = [e["leaseId"] for e in tx.events["LeaseStarted"]]
    assert started == requests[:fits]
    skipped = tx.events["MatchSkipped"]
    assert len(skipped) == 1 and skipped[0]["requestId"] == requests[-1] and skipped[0]["reason"] == EXPOSURE_CAP
    exposure, ends_at = w.market.exposureOf(w.matcher)
    assert exposure == fits * VALUE and ends_at == tx.timestamp + window
    # The same window refuses a match signed or batched later, as long as the room is short.
    assert (
        w.market.matchRequests([(requests[-1], w.offer)], {"from": w.matcher}).events["MatchSkipped"][0]["reason"]
        == EXPOSURE_CAP
    )

    # Every steered lease is challenged, and the bond pays each one's overpayment, reward and whole value.
    for lease in started:
        won = event_args(w.matcher_bonds.challengeMatch(lease, w.offer2, {"from": w.stranger}), "MatchChallenged")
        assert (won["toTenant"], won["toChallenger"], won["toTreasury"]) == (OVERCHARGE, REWARD, VALUE)
    assert w.token.balanceOf(w.treasury) == treasury_before + fits * VALUE

    chain.sleep(DURATION + 1)
    paid = sum(event_args(w.market.closeLease(lease, {"from": w.tenant}), "LeaseClosed")["paid"] for lease in started)
    profit = _wealth(w, (w.matcher, w.provider)) - before
    assert profit == fits * MATCH_FEE + paid - fits * (OVERCHARGE + REWARD + VALUE)
    assert profit < 0


def _steered_job(w, offer):
    terms, input = make_terms(HASHCHAIN, 8, SEED, salt=w.next_salt())
    w.job_market.publishJobTerms(terms, input, {"from": w.tenant})
    job_spec = (H100, 0, 1, ZERO32, 0, 0, MAX_PRICE, DAY, now() + 3600, JOB_KIND, w.job_market.hashTerms(terms), False)
    job_id = w.market.createRequest(job_spec, JOB_DEPOSIT, {"from": w.tenant}).return_value
    tx = w.market.matchRequests([(job_id, offer)], {"from": w.matcher})
    assert "JobHandedOver" in tx.events
    return job_id, tx.timestamp


def test_a_steered_job_match_is_challenged_and_the_matcher_pays(world):
    w = world
    _steer(w)
    job_id, matched_at = _steered_job(w, w.offer)
    request = w.market.getRequest(job_id)
    assert request["startTime"] == matched_at and request["escrow"] == 0
    price = w.job_market.matchOf(job_id)[3]
    bond = w.matcher_bonds.bondOf(w.matcher)[0]
    tenant_before = w.token.balanceOf(w.tenant)

    won = event_args(w.matcher_bonds.challengeMatch(job_id, w.offer2, {"from": w.stranger}), "MatchChallenged")

    # The tenant gets the job's price scaled to the cheaper rate, the treasury the job's whole price.
    owed = price * (MAX_PRICE - CHEAP) // MAX_PRICE
    assert (won["toTenant"], won["toChallenger"], won["toTreasury"]) == (owed, REWARD, price)
    assert w.matcher_bonds.bondOf(w.matcher)[0] == bond - owed - REWARD - price
    assert w.token.balanceOf(w.tenant) == tenant_before + owed
    with reverts_with_args("MatcherBonds_AlreadyChallenged", job_id):
        w.matcher_bonds.challengeMatch(job_id, w.offer2, {"from": w.stranger})


def test_a_cheaper_offer_that_refuses_the_job_terms_proves_nothing(world):
    w = world
    w.registry.setOfferJobPolicy(w.offer2, 0, 0, {"from": w.provider2})  # takes no jobs
    _steer(w)
    job_id, _ = _steered_job(w, w.offer)
    with reverts_with_args("MatcherBonds_OfferNotBetter", w.offer2, JOB_TERMS_REFUSED):
        w.matcher_bonds.challengeMatch(job_id, w.offer2, {"from": w.stranger})


def test_a_job_policy_loosened_after_the_match_proves_nothing(world):
    w = world
    w.registry.setOfferJobPolicy(w.offer2, 0, 0, {"from": w.provider2})
    _steer(w)
    job_id, matched_at = _steered_job(w, w.offer)
    changed = w.registry.setOfferJobPolicy(w.offer2, 2**32 - 1, 0, {"from": w.provider2}).timestamp
    with reverts_with_args("MatcherBonds_OfferChangedSinceMatch", w.offer2, changed, matched_at - GRACE):
        w.matcher_bonds.challengeMatch(job_id, w.offer2, {"from": w.stranger})


def test_unbonding_the_bond_behind_open_exposure_is_refused(world):
    w = world
    request = w.market.createRequest(spec(), DEPOSIT, {"from": w.tenant}).return_value
    w.market.matchRequests([(request, w.offer)], {"from": w.matcher})
    exposure, ends_at = w.market.exposureOf(w.matcher)
    assert exposure > 0
    bond = w.matcher_bonds.bondOf(w.matcher)[0]
    too_much = bond - 2 * exposure + 1

    with reverts_with_args("MatcherBonds_ExposureOpen", too_much, exposure, ends_at):
        w.matcher_bonds.requestUnbond(too_much, {"from": w.matcher})
    w.matcher_bonds.requestUnbond(too_much - 1, {"from": w.matcher})  # twice the exposure stays

    # Once the window ends, its matches are backed by the unbonding delay: the rest may go.
    at(ends_at)
    w.matcher_bonds.requestUnbond(2 * exposure, {"from": w.matcher})
    assert w.matcher_bonds.bondOf(w.matcher)[1] == bond
