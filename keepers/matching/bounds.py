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
    steps: int = 0,
    target: float | None = None,
    length: float = 1.0,
) -> KnapsackBound:
    """The Lagrangian bound at request prices `request_price` (y ≥ 0), per-provider knapsacks solved whole.

    `unit_price` (per offer unit) and `stake_price` (per stake token) are used only where a knapsack is too
    large for the dynamic programme (more than `_DP_MAX_UNITS` units) or a provider's offers ask different
    collateral: there the offer's units or the provider's stake are priced instead (Lagrangian again), any
    prices ≥ 0 giving a bound. Every feasible pair of positive profit score − y[r] is enumerated
    (`candidates` with `threshold = y` and no cap per request), so the bound covers every feasible pair.

    With `steps`, that many projected subgradient steps on y follow (a request's subgradient is 1 less the
    knapsacks that take it), `length` times Polyak's towards `target` (a score some assignment reaches), halved
    whenever a step does not lower the bound; the smallest bound seen is returned (each one is proven).
    """
    y = np.maximum(np.asarray(request_price, dtype=np.float64), 0.0)
    u = np.maximum(np.asarray(unit_price, dtype=np.float64), 0.0)
    v = np.maximum(np.asarray(stake_price, dtype=np.float64), 0.0)
    best, pairs, taken = _evaluate(requests, offers, providers, weights, seed, y, u, v)
    if target is None:
        return KnapsackBound(best, pairs)
    for _ in range(steps):
        # Projected: a request at price 0 that no knapsack takes has no lower price to go to.
        gradient = np.where((y <= 0) & (taken == 0), 0.0, 1.0 - taken)
        norm = float(gradient @ gradient)
        if norm == 0.0:
            break
        y = np.maximum(y - length * (best - target) / norm * gradient, 0.0)
        value, count, taken = _evaluate(requests, offers, providers, weights, seed, y, u, v)
        if value < best:
            best, pairs = value, count
        else:
            length /= 2
    return KnapsackBound(best, pairs)


def _evaluate(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    y: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
) -> tuple[float, int, np.ndarray]:
    """The bound at (y, u, v), the pairs of positive profit, and how many knapsacks take each request."""
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
    best, history = _offer_tables(o, units, q, cap, len(offers))
    k = np.arange(_DP_MAX_UNITS + 1)
    table = np.take_along_axis(best, np.minimum(k[None, :], cap[:, None]), axis=1)  # capped at the offer's units
    large = cap_units > _DP_MAX_UNITS
    # Where an offer has too many units for the table, its value is bounded by pricing its units (u ≥ 0).
    priced_offer = np.zeros(len(offers))
    priced_pairs = np.zeros(0, dtype=np.int64)
    if large.any():
        sel = np.flatnonzero(large[o])
        reduced = q[sel] - units[sel] * (u[o[sel]] + collateral[o[sel]] * v[offers.provider[o[sel]]])
        np.add.at(priced_offer, o[sel], np.maximum(reduced, 0.0))
        priced_offer[large] += u[large] * cap_units[large]
        priced_pairs = sel[reduced > 0]
    n_providers = len(providers)
    # Bound 1 for every provider: its stake priced at v, each offer's table read at its best k.
    stake_cost = collateral[:, None] * v[offers.provider][:, None] * k[None, :]
    net = table - stake_cost
    per_offer = np.where(large, priced_offer, net.max(axis=1))
    priced = np.bincount(offers.provider, weights=per_offer, minlength=n_providers) + v * cap_stake
    # Bound 2 where the provider's offers all ask one collateral c: its whole units ⌊stake / c⌋, by max-plus
    # convolution of its offers' tables.
    whole, provider_history, provider_units = _whole_provider_bound(
        offers, providers, table, large, cap_stake, collateral
    )
    per_provider = np.fmin(priced, whole)  # nan (not computed) leaves the priced bound
    # The knapsacks' solutions: each offer's units, then the items its table takes in them.
    by_whole = (whole <= priced)[offers.provider]  # False where nan
    offer_units = np.where(by_whole, _provider_units(provider_history, provider_units, len(offers)), net.argmax(axis=1))
    offer_units = np.where(large, 0, np.minimum(offer_units, cap))
    used = np.concatenate([_taken(history, q, offer_units), priced_pairs])
    taken = np.bincount(r[used], minlength=len(requests)).astype(np.float64)
    return float(y.sum() + per_provider.sum()), len(q), taken


def _offer_tables(
    o: np.ndarray, units: np.ndarray, q: np.ndarray, cap: np.ndarray, n_offers: int
) -> tuple[np.ndarray, list]:
    """best[o, k]: the most profit whole requests of offer o with ≤ k units in all can bring, k ≤ _DP_MAX_UNITS.

    0/1 knapsack by dynamic programming, all offers at once: the i-th item of every offer in one NumPy step.
    Of the items of one offer and one size w only the ⌊cap / w⌋ most profitable can be in an optimum.
    Also each step's (offers, sizes, items as indices into the arguments, table before the step), from
    which `_taken` reads the items an optimum takes.
    """
    width = _DP_MAX_UNITS + 1
    best = np.zeros((n_offers, width))
    index = np.flatnonzero(units <= cap[o])
    if len(index) == 0:
        return best, []
    index = index[np.lexsort((-q[index], units[index], o[index]))]
    oo, uu = o[index], units[index]
    group = np.flatnonzero(np.r_[True, (oo[1:] != oo[:-1]) | (uu[1:] != uu[:-1])])
    rank = np.arange(len(oo)) - np.repeat(group, np.diff(np.r_[group, len(oo)]))
    index = index[rank < cap[oo] // uu]
    oo = o[index]
    nth = np.arange(len(oo)) - np.searchsorted(oo, oo, side="left")
    k = np.arange(width)
    history = []
    for i in range(int(nth.max()) + 1):
        items = index[nth == i]
        rows, w, gain = o[items], units[items], q[items]
        before = best[rows]
        shifted = np.full_like(before, -np.inf)
        source = k[None, :] - w[:, None]
        ok = source >= 0
        shifted[ok] = before[np.nonzero(ok)[0], source[ok]] + np.repeat(gain, ok.sum(axis=1))
        best[rows] = np.maximum(before, shifted)
        history.append((rows, w, items, before))
    return best, history


def _taken(history: list, q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The items an optimum of each offer's knapsack with k[o] units takes (indices into the items' arrays)."""
    k = k.copy()
    taken = []
    for rows, w, items, before in reversed(history):
        at = k[rows]
        source = at - w
        line = np.arange(len(rows))
        take = (source >= 0) & (before[line, np.maximum(source, 0)] + q[items] > before[line, at])
        taken.append(items[take])
        k[rows[take]] -= w[take]
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)


def _whole_provider_bound(
    offers: OfferBook,
    providers: ProviderBook,
    table: np.ndarray,
    large: np.ndarray,
    cap_stake: np.ndarray,
    collateral: np.ndarray,
) -> tuple[np.ndarray, list, np.ndarray]:
    """Per provider, the exact knapsack value over its offers' tables and its whole units; nan where not computed.

    Also each step's (providers, offers, units the best way puts on the offer per units in all), and each
    provider's units in its optimum, from which `_provider_units` reads each offer's.
    """
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
    history: list = []
    units = np.zeros(n, dtype=np.int64)
    if not same.any():
        return out, history, units
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
        choice = np.zeros(before.shape, dtype=np.int64)
        for t in range(1, width):
            # t units on this offer, k − t on the ones before it.
            shifted = np.full_like(before, -np.inf)
            shifted[:, t:] = before[:, :-t] + table[offer_rows, t][:, None]
            better = shifted > after
            after = np.where(better, shifted, after)
            choice[better] = t
        value[who] = after
        history.append((who, offer_rows, choice))
    k = np.arange(width)
    chosen = np.flatnonzero(same)
    within = np.where(k[None, :] <= limit[chosen][:, None], value[chosen], -np.inf)
    out[chosen] = within.max(axis=1)
    units[chosen] = within.argmax(axis=1)
    return out, history, units


def _provider_units(history: list, units: np.ndarray, n_offers: int) -> np.ndarray:
    """Each offer's units in the optimum of its provider's knapsack with `units[p]` units (from `history`)."""
    k = units.copy()
    per_offer = np.zeros(n_offers, dtype=np.int64)
    for who, offer_rows, choice in reversed(history):
        t = choice[np.arange(len(who)), k[who]]
        per_offer[offer_rows] = t
        k[who] -= t
    return per_offer
