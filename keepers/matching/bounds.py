"""A bound on the 0/1 optimum tighter than the linear relaxation: whole requests in each provider's knapsack.

The relaxation over every feasible pair (`columns.relax`) may serve part of a
request: half of a 2-unit request on an offer's one idle unit. The 0/1
programme cannot, and on the scarce shape at 10,000 x 100,000 that is where
most of the relaxation's lead over the matcher lies (docs/matching.md, "A
tighter bound"). `knapsack_bound` relaxes only the one-offer-per-request rows,
with a price y[r] per request (Lagrangian relaxation), and keeps every
provider's capacities whole: for any y ≥ 0,

    optimum ≤ Σ_r y[r] + Σ_p max { Σ (score − y[r]) · x : x ∈ {0, 1} fits p's offers' units and p's stake }

since any assignment that fits the books fits each provider's problem and
loses nothing by the relaxed rows. Each provider's problem is a small integer
knapsack (whole units, an offer's few requests of positive profit), solved
exactly by dynamic programming over units. With y the relaxation's own
request prices, the bound is at most the relaxation's dual bound on the pairs
it sees, and falls below it by what whole requests cannot pack.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .book import OfferBook, ProviderBook, RequestBook, integer_capacities
from .scoring import Weights, candidates

# Dynamic programming over units is exact but costs (offers) x (units) per item: past this many units an
# offer's or provider's knapsack is bounded by its prices instead (still a bound, no longer a tighter one).
_DP_MAX_UNITS = 64


@dataclass(frozen=True)
class KnapsackBound:
    bound: float  # proven upper bound on the 0/1 optimum over every feasible pair
    pairs: int  # pairs of positive profit against y (the knapsacks' items)


def knapsack_bound(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    request_price: np.ndarray,
    unit_price: np.ndarray,
    stake_price: np.ndarray,
) -> KnapsackBound:
    """The Lagrangian bound at request prices `request_price` (y ≥ 0), per-provider knapsacks solved whole.

    `unit_price` (per offer unit) and `stake_price` (per stake token) are used only where a knapsack is too
    large for the dynamic programme (more than `_DP_MAX_UNITS` units) or a provider's offers ask different
    collateral: there the offer's units or the provider's stake are priced instead (Lagrangian again), any
    prices ≥ 0 giving a bound. Every feasible pair of positive profit score − y[r] is enumerated
    (`candidates` with `threshold = y` and no cap per request), so the bound covers every feasible pair.
    """
    y = np.maximum(np.asarray(request_price, dtype=np.float64), 0.0)
    u = np.maximum(np.asarray(unit_price, dtype=np.float64), 0.0)
    v = np.maximum(np.asarray(stake_price, dtype=np.float64), 0.0)
    found = candidates(
        requests,
        offers,
        providers,
        weights,
        seed,
        top_k=max(1, len(offers)),
        unit_cost=np.zeros(len(offers)),
        threshold=y,
    )
    profit = found.score - y[found.request]
    keep = profit > 0
    r, o, q = found.request[keep], found.offer[keep], profit[keep]
    units = requests.units[r].astype(np.int64)
    cap_units, cap_stake = integer_capacities(offers, providers)
    cap = np.minimum(cap_units, _DP_MAX_UNITS + 1).astype(np.int64)
    collateral = offers.collateral_per_unit.astype(np.float64)
    # Each offer's best profit with at most k units, k = 0.._DP_MAX_UNITS (exact where the offer has ≤ that many).
    best = _offer_tables(o, units, q, cap, len(offers))
    k = np.arange(_DP_MAX_UNITS + 1)
    table = np.take_along_axis(best, np.minimum(k[None, :], cap[:, None]), axis=1)  # capped at the offer's units
    large = cap_units > _DP_MAX_UNITS
    # Where an offer has too many units for the table, its value is bounded by pricing its units (u ≥ 0).
    priced_offer = np.zeros(len(offers))
    if large.any():
        sel = np.isin(o, np.flatnonzero(large))
        reduced = q[sel] - units[sel] * (u[o[sel]] + collateral[o[sel]] * v[offers.provider[o[sel]]])
        np.add.at(priced_offer, o[sel], np.maximum(reduced, 0.0))
        priced_offer[large] += u[large] * cap_units[large]
    n_providers = len(providers)
    # Bound 1 for every provider: its stake priced at v, each offer's table read at its best k.
    stake_cost = collateral[:, None] * v[offers.provider][:, None] * k[None, :]
    per_offer = np.where(large, priced_offer, (table - stake_cost).max(axis=1))
    priced = np.bincount(offers.provider, weights=per_offer, minlength=n_providers) + v * cap_stake
    # Bound 2 where the provider's offers all ask one collateral c: its whole units ⌊stake / c⌋, by max-plus
    # convolution of its offers' tables.
    whole = _whole_provider_bound(offers, providers, table, large, cap_stake, collateral)
    per_provider = np.fmin(priced, whole)  # nan (not computed) leaves the priced bound
    return KnapsackBound(float(y.sum() + per_provider.sum()), len(q))


def _offer_tables(o: np.ndarray, units: np.ndarray, q: np.ndarray, cap: np.ndarray, n_offers: int) -> np.ndarray:
    """best[o, k]: the most profit whole requests of offer o with ≤ k units in all can bring, k ≤ _DP_MAX_UNITS.

    0/1 knapsack by dynamic programming, all offers at once: the i-th item of every offer in one NumPy step.
    Of the items of one offer and one size w only the ⌊cap / w⌋ most profitable can be in an optimum.
    """
    width = _DP_MAX_UNITS + 1
    best = np.zeros((n_offers, width))
    fits = units <= cap[o]
    o, units, q = o[fits], units[fits], q[fits]
    if len(o) == 0:
        return best
    order = np.lexsort((-q, units, o))
    o, units, q = o[order], units[order], q[order]
    group = np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (units[1:] != units[:-1])])
    rank = np.arange(len(o)) - np.repeat(group, np.diff(np.r_[group, len(o)]))
    useful = rank < cap[o] // units
    o, units, q = o[useful], units[useful], q[useful]
    first = np.searchsorted(o, o, side="left")
    nth = np.arange(len(o)) - first
    k = np.arange(width)
    for i in range(int(nth.max()) + 1 if len(nth) else 0):
        at = nth == i
        rows, w, gain = o[at], units[at], q[at]
        before = best[rows]
        shifted = np.full_like(before, -np.inf)
        source = k[None, :] - w[:, None]
        ok = source >= 0
        shifted[ok] = before[np.nonzero(ok)[0], source[ok]] + np.repeat(gain, ok.sum(axis=1))
        best[rows] = np.maximum(before, shifted)
    return best


def _whole_provider_bound(
    offers: OfferBook,
    providers: ProviderBook,
    table: np.ndarray,
    large: np.ndarray,
    cap_stake: np.ndarray,
    collateral: np.ndarray,
) -> np.ndarray:
    """Per provider, the exact knapsack value over its offers' tables and its whole units; nan where not computed."""
    n = len(providers)
    out = np.full(n, np.nan)
    p = offers.provider
    low = np.full(n, np.inf)
    high = np.zeros(n)
    np.minimum.at(low, p, collateral)
    np.maximum.at(high, p, collateral)
    blocked = np.zeros(n, dtype=bool)
    np.logical_or.at(blocked, p, large)
    same = (low == high) & (low > 0) & ~blocked
    limit = np.where(
        same, np.floor(providers.free_stake.astype(np.float64) / np.where(same, low, 1.0) * (1 + 1e-12)), 0
    )
    same &= limit <= _DP_MAX_UNITS
    if not same.any():
        return out
    width = _DP_MAX_UNITS + 1
    rows = np.flatnonzero(same[p])
    rows = rows[np.argsort(p[rows], kind="stable")]
    owner = p[rows]
    first = np.searchsorted(owner, owner, side="left")
    nth = np.arange(len(rows)) - first
    value = np.zeros((n, width))
    for i in range(int(nth.max()) + 1):
        at = nth == i
        who, offer_rows = owner[at], rows[at]
        before = value[who]
        after = before.copy()
        for t in range(1, width):
            # t units on this offer, k − t on the ones before it.
            shifted = np.full_like(before, -np.inf)
            shifted[:, t:] = before[:, :-t] + table[offer_rows, t][:, None]
            after = np.maximum(after, shifted)
        value[who] = after
    k = np.arange(width)
    chosen = np.flatnonzero(same)
    capped = np.where(k[None, :] <= limit[chosen][:, None], value[chosen], -np.inf).max(axis=1)
    out[chosen] = capped
    return out
