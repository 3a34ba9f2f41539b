"""Hostile inputs for every state-changing function of MatcherBonds: zero amounts, more than is
bonded, unbonding what backs an open exposure window, the unbonding delay, the wrong caller for
governance, and every way a match challenge is false (no cheaper offer, the matched offer itself,
an unknown lease, after the window, twice, an offer or a provider that became more available
after the match or within the grace before it). Every refused row reverts with its exact custom
error and leaves the whole chain unchanged."""

import pytest

from helpers import USD
from market.support import PRICE_TOO_HIGH
from security.hostile_support import Attempt, Table, at, now, open_lease, run_row

T = Table("MatcherBonds")
MIN_BOND = 1_000 * USD
WINDOW = 3600
DELAY = 2 * 86_400
GRACE = 60
CEILING = 3 * USD  # the default spec's maximum price


def _call(w, fn, *args, sender, error=None, err_args=None):
    return Attempt(lambda: getattr(w.matcher_bonds, fn)(*args, {"from": sender}), sender, error, err_args)


def _steered(w):
    """The provider's offer raised to the tenant's ceiling and matched although offer 2 stands free
    at 2 USD, unchanged for longer than the grace: a match a challenge with offer 2 wins. (lease id, start)."""
    w.registry.updateOffer(w.offer, 8, CEILING, 30 * 86_400, {"from": w.provider})
    at(now() + GRACE + 2)
    return open_lease(w)


# --- bond, bondFor --------------------------------------------------------------------------------


@T.row("bond", "zero_amount")
def _(w):
    return _call(w, "bond", 0, sender=w.stranger, error="MatcherBonds_ZeroAmount")


@T.row("bond", "no_allowance")
def _(w):
    return _call(
        w,
        "bond",
        USD,
        sender=w.stranger,
        error="ERC20InsufficientAllowance",
        err_args=(w.matcher_bonds.address, 0, USD),
    )


@T.row("bondFor", "zero_matcher")
def _(w):
    return _call(w, "bondFor", "0x" + "00" * 20, USD, sender=w.stranger, error="Leasehold_ZeroAddress")


@T.row("bondFor", "zero_amount")
def _(w):
    return _call(w, "bondFor", w.stranger, 0, sender=w.stranger, error="MatcherBonds_ZeroAmount")


# --- requestUnbond, withdrawUnbonded ----------------------------------------------------------------


@T.row("requestUnbond", "zero_amount")
def _(w):
    return _call(w, "requestUnbond", 0, sender=w.matcher, error="MatcherBonds_ZeroAmount")


@T.row("requestUnbond", "more_than_bonded")
def _(w):
    return _call(
        w,
        "requestUnbond",
        MIN_BOND + 1,
        sender=w.matcher,
        error="MatcherBonds_InsufficientBond",
        err_args=(MIN_BOND + 1, MIN_BOND),
    )


@T.row("requestUnbond", "below_twice_the_open_exposure")
def _(w):
    open_lease(w)
    exposure, ends_at = w.market.exposureOf(w.matcher)
    amount = MIN_BOND - 2 * exposure + 1
    return _call(
        w,
        "requestUnbond",
        amount,
        sender=w.matcher,
        error="MatcherBonds_ExposureOpen",
        err_args=(amount, exposure, ends_at),
    )


@T.row("withdrawUnbonded", "nothing_unbonding")
def _(w):
    return _call(
        w, "withdrawUnbonded", sender=w.stranger, error="MatcherBonds_NothingUnbonding", err_args=(w.stranger.address,)
    )


@T.row("withdrawUnbonded", "delay_minus_1s")
def _(w):
    ready = w.matcher_bonds.requestUnbond(USD, {"from": w.matcher}).timestamp + DELAY
    at(ready - 1)
    return _call(
        w, "withdrawUnbonded", sender=w.matcher, error="MatcherBonds_UnbondingNotReady", err_args=(ready, ready - 1)
    )


# --- challengeMatch ----------------------------------------------------------------------------------


@T.row("challengeMatch", "unknown_lease")
def _(w):
    return _call(
        w, "challengeMatch", 10**9, w.offer2, sender=w.stranger, error="LeaseMarket_RequestNotFound", err_args=(10**9,)
    )


@T.row("challengeMatch", "offer_not_cheaper")
def _(w):
    lease, _ = open_lease(w)  # the provider's offer at 2 USD; offer 2 is at 2 USD too
    return _call(
        w,
        "challengeMatch",
        lease,
        w.offer2,
        sender=w.stranger,
        error="MatcherBonds_OfferNotBetter",
        err_args=(w.offer2, PRICE_TOO_HIGH),
    )


@T.row("challengeMatch", "the_matched_offer")
def _(w):
    lease, _ = _steered(w)
    return _call(
        w,
        "challengeMatch",
        lease,
        w.offer,
        sender=w.stranger,
        error="MatcherBonds_SameOffer",
        err_args=(lease, w.offer),
    )


@T.row("challengeMatch", "window_plus_1s")
def _(w):
    lease, start = _steered(w)
    at(start + WINDOW + 1)
    return _call(
        w,
        "challengeMatch",
        lease,
        w.offer2,
        sender=w.stranger,
        error="MatcherBonds_ChallengeWindowClosed",
        err_args=(lease, start + WINDOW, start + WINDOW + 1),
    )


@T.row("challengeMatch", "twice")
def _(w):
    lease, _ = _steered(w)
    w.matcher_bonds.challengeMatch(lease, w.offer2, {"from": w.stranger})
    return _call(
        w,
        "challengeMatch",
        lease,
        w.offer2,
        sender=w.stranger,
        error="MatcherBonds_AlreadyChallenged",
        err_args=(lease,),
    )


def _offer2_changed(w, lease, start, changed):
    """The challenge of `lease` with offer 2, changed at `changed`: not before the match's grace."""
    return _call(
        w,
        "challengeMatch",
        lease,
        w.offer2,
        sender=w.stranger,
        error="MatcherBonds_OfferChangedSinceMatch",
        err_args=(w.offer2, changed, start - GRACE),
    )


@T.row("challengeMatch", "offer_cut_after_the_match")
def _(w):
    lease, start = _steered(w)
    changed = w.registry.updateOffer(w.offer2, 8, USD, 30 * 86_400, {"from": w.provider2}).timestamp
    return _offer2_changed(w, lease, start, changed)


@T.row("challengeMatch", "offer_cut_within_the_grace_before_the_match")
def _(w):
    """Offer 2 was cut to 1 USD half a minute before the match: a matcher that read the book a
    block earlier could not have seen it, so the cut proves nothing."""
    w.registry.updateOffer(w.offer, 8, CEILING, 30 * 86_400, {"from": w.provider})
    changed = w.registry.updateOffer(w.offer2, 8, USD, 30 * 86_400, {"from": w.provider2}).timestamp
    at(changed + GRACE // 2)
    lease, start = open_lease(w)
    return _offer2_changed(w, lease, start, changed)


@T.row("challengeMatch", "stake_added_after_the_match")
def _(w):
    lease, start = _steered(w)
    w.token.mint(w.provider2, USD, {"from": w.provider2})
    w.token.approve(w.registry, USD, {"from": w.provider2})
    staked = w.registry.stake(USD, {"from": w.provider2}).timestamp
    return _call(
        w,
        "challengeMatch",
        lease,
        w.offer2,
        sender=w.stranger,
        error="MatcherBonds_ProviderChangedSinceMatch",
        err_args=(w.provider2.address, staked, start - GRACE),
    )


# --- governance ----------------------------------------------------------------------------------------


@T.row("setParams", "not_governance")
def _(w):
    return _call(
        w,
        "setParams",
        (MIN_BOND, 5 * USD, WINDOW, DELAY, GRACE),
        sender=w.stranger,
        error="MatcherBonds_CallerNotGovernance",
        err_args=(w.stranger.address,),
    )


@T.row("setParams", "zero_min_bond")
def _(w):
    return _call(
        w,
        "setParams",
        (0, 0, WINDOW, DELAY, GRACE),
        sender=w.governance,
        error="MatcherBonds_ParamOutOfRange",
        err_args=("minBond", 0, 1, 10**30),
    )


@T.row("setParams", "grace_over_an_hour")
def _(w):
    return _call(
        w,
        "setParams",
        (MIN_BOND, 5 * USD, WINDOW, DELAY, 3601),
        sender=w.governance,
        error="MatcherBonds_ParamOutOfRange",
        err_args=("graceSeconds", 3601, 0, 3600),
    )


@T.row("setLeaseMarket", "not_governance")
def _(w):
    return _call(
        w,
        "setLeaseMarket",
        w.stranger,
        sender=w.stranger,
        error="MatcherBonds_CallerNotGovernance",
        err_args=(w.stranger.address,),
    )


@T.row("setLeaseMarket", "already_set")
def _(w):
    return _call(
        w,
        "setLeaseMarket",
        w.stranger,
        sender=w.governance,
        error="MatcherBonds_LeaseMarketAlreadySet",
        err_args=(w.market.address,),
    )


@T.row("claimCredit", "no_credit")
def _(w):
    return _call(w, "claimCredit", sender=w.stranger, error="Leasehold_NoCredit", err_args=(w.stranger.address,))


ROWS = T.rows


@pytest.mark.parametrize("row", T.params())
def test_hostile_call_is_refused_and_changes_nothing(anvil, world, row):
    run_row(anvil, world, row)
