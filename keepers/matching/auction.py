"""A primal-dual auction (Bertsekas) for the batch's assignment, with a proven bound from its prices.

Requests bid for offers. Each offer has a price per unit u[o] and each
provider a price v[p] per share of its free stake; a pair's cost is what it
takes of both at those prices, units · u[o] + stake share · v[p], and its
profit is its score less that cost. A request without an offer bids for its
most profitable pair: it offers to pay the pair's score less the profit of
its second-best option (another pair, or staying unserved at 0), plus ε, so
that it stays within ε of its best option. An offer keeps its best bidders
by the bid per unit (what the bid leaves after the provider's price) as long
as their units fit, a provider keeps its best by the bid per share of stake
as long as their stake fits, and each raises its price to the lowest bid it
kept once it turned one away. The outbid bid again. Bids are made by all
free requests at once (Jacobi); every round runs in one compiled call
(`kernels.auction_rounds`, numba), as does the bound's descent.

The auction runs until no free request has a pair of positive profit. The
assignment is feasible at every step: an offer never keeps more units than it
has free, a provider never more stake. No ε-scaling: phases that free the
requests no longer within the new ε of their best (the usual restart) left
the offers they quit priced above what anyone would pay, with units idle
(1,000 x 10,000 scarce shape: 87.9% of the optimum against 95.4% in one
phase); one phase with a small ε did better. Starting from the previous
batch's prices (`warm`) is what spares the rounds instead.

The prices give a bound for free: for any prices u, v ≥ 0,

    Σ_r max(0, max over r's pairs of its profit) + Σ_o u[o] · free units + Σ_p v[p]

is at least the relaxation's optimum over those pairs (Lagrangian duality),
so at least the 0/1 optimum. Over every feasible pair (not only the ones the
auction saw) it needs each request's best profit over every feasible pair:
`assignment.match` takes it from `columns._price`, which scans the pairs
outside the pool only for the requests a pair left out could gain.

With one unit per request and no stake limits this is Bertsekas's auction
for the asymmetric assignment problem, within n · ε of the optimum. Requests
of several units make it a generalised assignment problem, where an offer
keeping its best bids per unit can leave a few units idle; the local
improvement (`improve.py`) after it packs them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .book import OfferBook, ProviderBook, RequestBook, integer_capacities, select_rows
from .columns import _Pool, _price
from .kernels import auction_rounds, descend_prices, unseen_pairs
from .scoring import Candidates, Weights, candidates, requests_drawn

# ε, as a share of the median pair score (about 1 to 2 with the default weights): the assignment is within
# n · ε of the optimum when each request takes one unit, and the bid rounds grow as 1/ε. Measured on the five
# shapes of `shapes.py` (seed 7): at 1,000 x 10,000, 0.1% gives 0.1-0.3% more score than 2%; at 10,000 x
# 100,000 the scarce shape's auction takes 0.8 s of CPU at 2%, 1.8 s at 0.5%, 4.2 s at 0.1%.
EPSILON = 0.001
EPSILON_LARGE = 0.005
# ... the larger ε past this many pairs.
EPSILON_LARGE_PAIRS = 250_000
# Block coordinate steps on the prices before each pricing (`descend`): they tighten the bound.
DESCENT_ITERATIONS = 3
# Subgradient steps after them (`kernels.descend_prices`), and how much each step shrinks when the bound did not fall.
# At most SUBGRADIENT_ITERATIONS, at least SUBGRADIENT_MIN_ITERATIONS, else SUBGRADIENT_PAIR_STEPS / pairs (a step
# reads every pair: 1,000 x 10,000 pools of 15,000-105,000 pairs take the 60, 10,000 x 100,000 pools of about a
# million take 10).
SUBGRADIENT_ITERATIONS = 60
SUBGRADIENT_MIN_ITERATIONS = 10
SUBGRADIENT_PAIR_STEPS = 10_000_000
_SUBGRADIENT_SHRINK = 0.9
# Covering pairs (`_cover`): each request of a model the auction left a request unserved on gets its best this many
# pairs among the offers with a unit to spare that no pair reaches, over this many rounds.
COVER_K = 8
COVER_ROUNDS = 3
# ... and each offer of a contested model with a unit to spare gets this many of its feasible requests at random.
COVER_DRAWS = 8
# A model is contested when the units requests naming it ask for pass this share of its free units (whole, as the
# solvers count them). The five shapes at 10,000 x 100,000: 3.9 for the scarce shape's H100, at most 0.25 elsewhere.
CONTESTED = 0.5
# Pricing rounds after the first only on pools of at most this many pairs. On larger ones (10,000 x 100,000: about a
# million) whether a second round ran depended on the clock (the deadline), so on the load: measured on the five
# shapes there (seed 7), a second round never raised the score (scarce: 10,297.6 against 10,302.4; the others the
# same), took 0.4-0.8 s, and lowered the bound on the scarce shape (10,484.0 against 10,674.4) and the multi-unit one
# (by 1.2, 0.007%).
LATER_PRICING_MAX_PAIRS = 250_000
# Bid rounds per phase at most (a phase ends long before on every market measured).
_MAX_ROUNDS = 10_000


@dataclass
class Prices:
    """The auction's prices: per unit of each offer, per share of each provider's free stake."""

    unit: np.ndarray  # per offer row
    share: np.ndarray  # per provider row: the price of all its free stake


@dataclass(frozen=True)
class AuctionPairs:
    """Candidate pairs grouped by request row, with what each takes."""

    request: np.ndarray
    offer: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    units: np.ndarray  # float64 units the pair takes from its offer
    share: np.ndarray  # float64 share of its provider's free stake the pair locks
    start: np.ndarray  # per request row: first pair
    count: np.ndarray  # per request row: number of pairs
    free_units: np.ndarray  # per offer row

    def __len__(self) -> int:
        return len(self.request)

    def extended(self, request, offer, provider, score, units, share) -> tuple[AuctionPairs, np.ndarray]:
        """These pairs and some new ones, sorted again by request (the old before the new of a request, each in
        the order given); and where each old pair went.

        A merge, not a sort of the million joined pairs: these are sorted already, so an old pair moves down by
        the new ones of lower requests, and a new one lands after every old pair of its request or lower.
        """
        new_order = np.argsort(request, kind="stable")
        new_request = request[new_order]
        moved = np.arange(len(self)) + np.searchsorted(new_request, self.request, side="left")
        placed = np.arange(len(new_request)) + np.searchsorted(self.request, new_request, side="right")
        size = len(self) + len(new_request)

        def merged(old: np.ndarray, new: np.ndarray) -> np.ndarray:
            column = np.empty(size, dtype=np.result_type(old, new))
            column[moved] = old
            column[placed] = new[new_order]
            return column

        r = merged(self.request, request)
        n_requests = len(self.count)
        grown = AuctionPairs(
            r,
            merged(self.offer, offer),
            merged(self.provider, provider),
            merged(self.score, score),
            merged(self.units, units),
            merged(self.share, share),
            np.searchsorted(r, np.arange(n_requests)),
            np.bincount(r, minlength=n_requests),
            self.free_units,
        )
        return grown, moved

    def of_requests(self, rows: np.ndarray) -> np.ndarray:
        """Indices of every pair of the given request rows, request by request."""
        counts = self.count[rows]
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        offsets = np.repeat(self.start[rows] - np.cumsum(counts) + counts, counts)
        return offsets + np.arange(total)


def _float_view(values: np.ndarray) -> np.ndarray:
    """`values` as contiguous float64 (itself when it already is): the kernels compile for one dtype each."""
    return np.ascontiguousarray(values, dtype=np.float64)


def _int_view(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)


def kernel_pairs(pairs: AuctionPairs) -> tuple[np.ndarray, ...]:
    """The pairs' columns as the kernels take them: start, count, offer, provider, score, units, share, free units."""
    return (
        _int_view(pairs.start),
        _int_view(pairs.count),
        _int_view(pairs.offer),
        _int_view(pairs.provider),
        _float_view(pairs.score),
        _float_view(pairs.units),
        _float_view(pairs.share),
        _float_view(pairs.free_units),
    )


@dataclass
class Bids:
    """Who holds what: the pair per request row (-1: none) and what its bid pays."""

    assigned: np.ndarray
    paid: np.ndarray

    @classmethod
    def none(cls, n_requests: int) -> Bids:
        return cls(np.full(n_requests, -1, dtype=np.int64), np.zeros(n_requests))


def auction(
    pairs: AuctionPairs,
    prices: Prices,
    bids: Bids,
    epsilon: float | None = None,
) -> None:
    """Run the auction over `pairs` from these prices and bids (both updated in place) until no free request bids.

    It always runs to its end, every free request served or priced out (at
    most `_MAX_ROUNDS` bid rounds): its time is set by ε (`EPSILON`, a share
    of the median score; `EPSILON_LARGE` past `EPSILON_LARGE_PAIRS` pairs),
    not by the clock, so the same books give the same bids on any machine.
    """
    if len(pairs) == 0:
        return
    if epsilon is None:
        epsilon = EPSILON if len(pairs) <= EPSILON_LARGE_PAIRS else EPSILON_LARGE
    eps = epsilon * (float(np.median(pairs.score)) or 1.0)
    has_pairs = np.flatnonzero(pairs.count > 0)
    free = has_pairs[bids.assigned[has_pairs] < 0]
    unit, share = _float_view(prices.unit), _float_view(prices.share)
    assigned, paid = _int_view(bids.assigned), _float_view(bids.paid)
    auction_rounds(kernel_pairs(pairs), unit, share, assigned, paid, free.astype(np.int64), eps, _MAX_ROUNDS)
    for target, source in ((prices.unit, unit), (prices.share, share), (bids.assigned, assigned), (bids.paid, paid)):
        if target is not source:
            target[...] = source


def lagrangian_bound(pairs: AuctionPairs, prices: Prices) -> tuple[float, np.ndarray]:
    """Σ_r max(0, best profit) + Σ u · free units + Σ v over these pairs: a bound on their 0/1 optimum (and cover)."""
    profit = pairs.score - pairs.units * prices.unit[pairs.offer] - pairs.share * prices.share[pairs.provider]
    cover = np.zeros(len(pairs.count))
    has = np.flatnonzero(pairs.count)
    cover[has] = np.maximum(0.0, np.maximum.reduceat(profit, pairs.start[has]))
    return float(cover.sum() + prices.unit @ pairs.free_units + prices.share.sum()), cover


def descend(
    pairs: AuctionPairs,
    prices: Prices,
    iterations: int,
    step: float = 0.5,
    floor: float | None = None,
    subgradient_iterations: int | None = None,
) -> tuple[Prices, float]:
    """Lower the Lagrangian bound from the auction's prices by damped block coordinate steps; the best prices and bound.

    For one offer with every other price fixed, the bound is Σ units · max(0,
    will − u) + u · free units over the requests with a pair on it, where a
    request's will is what a unit there is worth to it over its best option
    elsewhere (or nothing); it is least where the units willing reach the
    offer's free units. All offers take a step towards that price at once,
    then all providers (by share of stake); then, with `floor` (an assignment's
    total), projected subgradient steps with Polyak's step towards it: where
    offers and providers both bind, block coordinate steps stall at a kink
    (the scarce shape: 3-4% above the relaxation), and a step along the
    subgradient (free units less the units the requests' best pairs take, per
    offer; 1 less their share of stake, per provider) moves both at once,
    shrinking each time the bound does not fall. The best prices seen are
    kept: every one of them gives a proven bound, the steps only tighten it.
    Both run in one compiled call (`kernels.descend_prices`).
    """
    if floor is None:
        subgradient_iterations = 0
    elif subgradient_iterations is None:
        subgradient_iterations = subgradient_steps(len(pairs))
    unit, share, bound = descend_prices(
        kernel_pairs(pairs),
        _int_view(pairs.request),
        _float_view(prices.unit),
        _float_view(prices.share),
        iterations,
        step,
        0.0 if floor is None else floor,
        subgradient_iterations,
        _SUBGRADIENT_SHRINK,
    )
    return Prices(unit, share), float(bound)


def subgradient_steps(n_pairs: int) -> int:
    """Subgradient steps for this many pairs: `SUBGRADIENT_ITERATIONS`, fewer on large pools (a set number, not a
    time, so that the bound and the pairs pricing adds are a function of the books alone)."""
    return int(min(SUBGRADIENT_ITERATIONS, max(SUBGRADIENT_MIN_ITERATIONS, SUBGRADIENT_PAIR_STEPS // max(n_pairs, 1))))


@dataclass(frozen=True)
class AuctionResult:
    """Every pair the auction saw (sorted by request row, then offer row), the pairs it assigned, prices and bound."""

    candidates: Candidates
    chosen: np.ndarray  # indices into candidates
    prices: Prices
    bound: float | None  # proven upper bound on the optimum over every feasible pair; None if no pricing ran
    rounds: int  # pricing rounds run


def _pairs_of(requests: RequestBook, offers: OfferBook, providers: ProviderBook, found: Candidates) -> AuctionPairs:
    units = requests.units[found.request].astype(np.float64)
    stake = units * offers.collateral_per_unit[found.offer].astype(np.float64)
    provider = offers.provider[found.offer]
    free_units, free_stake = integer_capacities(offers, providers)
    free_stake = np.maximum(free_stake, 1e-300)
    order = np.argsort(found.request, kind="stable")
    r = found.request[order]
    n = len(requests)
    return AuctionPairs(
        r,
        found.offer[order],
        provider[order],
        np.asarray(found.score, dtype=np.float64)[order],
        units[order],
        stake[order] / free_stake[provider[order]],
        np.searchsorted(r, np.arange(n)),
        np.bincount(r, minlength=n),
        free_units,
    )


def _cover(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    pairs: AuctionPairs,
    k: int,
    rounds: int,
    draws: int,
) -> Candidates:
    """Pairs with the offers no pair reaches yet, on the contested models (`CONTESTED`), for the auction to start with.

    Every request ranks offers much alike, so each request's best pairs crowd
    onto the same offers and the units further down are never bid for: on the
    scarce shape of `shapes.py` (10,000 x 100,000) a seventh of the contested
    model's units, which the relaxation fills by moving the requests that can
    take any offer onto them and serving the choosier ones where they were.
    Pricing rounds cannot do that once the auction has run: the requests that
    could move hold their offers and never bid again. So before it, per
    round, every request naming a contested model gets its `k` best pairs
    among that model's offers with a unit to spare that no pair reaches (a
    `candidates` call over those offers alone), and the next round looks at
    the offers still unreached.
    """
    empty = Candidates(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if len(offers) == 0:
        return empty
    units, _ = integer_capacities(offers, providers)
    n_models = int(max(offers.gpu_model.max(initial=0), requests.gpu_model.max(initial=0))) + 1
    named = requests.gpu_model > 0
    demand = np.bincount(requests.gpu_model[named], requests.units[named], minlength=n_models)
    supply = np.bincount(offers.gpu_model, units, minlength=n_models)
    contested = demand > CONTESTED * supply
    contested[0] = False
    if not contested.any():
        return empty
    rows = np.flatnonzero(contested[requests.gpu_model])
    reached = np.bincount(pairs.offer, minlength=len(offers)) > 0
    open_offers = (units >= 1) & contested[offers.gpu_model]
    found = []
    for _ in range(rounds):
        spare = np.flatnonzero(open_offers & ~reached)
        if len(spare) == 0:
            break
        more = candidates(select_rows(requests, rows), select_rows(offers, spare), providers, weights, seed, top_k=k)
        if len(more) == 0:
            break
        more = Candidates(rows[more.request], spare[more.offer], more.score)
        reached[more.offer] = True
        found.append(more)
    if draws > 0:
        found.append(
            requests_drawn(requests, offers, providers, weights, seed, rows, np.flatnonzero(open_offers), draws)
        )
    if not found:
        return empty
    return Candidates(*(np.concatenate([getattr(c, f) for c in found]) for f in ("request", "offer", "score")))


def _joined(
    pairs: AuctionPairs,
    bids: Bids,
    found: Candidates,
    requests: RequestBook,
    offers: OfferBook,
    collateral: np.ndarray,
    free_stake: np.ndarray,
) -> tuple[AuctionPairs, Bids, int]:
    """The auction's pairs with those of `found` it has not seen, its bids moved along; and how many joined."""
    fresh = unseen_pairs(
        _int_view(pairs.start),
        _int_view(pairs.count),
        _int_view(pairs.offer),
        _int_view(found.request),
        _int_view(found.offer),
    )
    if not fresh.any():
        return pairs, bids, 0
    r, o = found.request[fresh], found.offer[fresh]
    units = requests.units[r].astype(np.float64)
    provider = offers.provider[o]
    pairs, moved = pairs.extended(
        r,
        o,
        provider,
        np.asarray(found.score[fresh], dtype=np.float64),
        units,
        units * collateral[o] / free_stake[provider],
    )
    held = bids.assigned >= 0
    bids.assigned[held] = moved[bids.assigned[held]]
    return pairs, bids, int(fresh.sum())


def match_by_auction(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    pool: Candidates,
    pool_k: int,
    pricing_k: int,
    pricing_rounds: int,
    deadline: float,
    warm: Prices | None = None,
    descent_iterations: int = DESCENT_ITERATIONS,
    cover_k: int = COVER_K,
    cover_rounds: int = COVER_ROUNDS,
    cover_draws: int = COVER_DRAWS,
) -> AuctionResult:
    """The auction over each request's pool, with pricing rounds that add the pairs it could not see, and a bound.

    `pool`: each request's `pool_k` best pairs, from `candidates(..., by_score=True)`.
    After each auction the prices are polished (`descend`) and every feasible
    pair is priced at them (`columns._price`: the pool from memory, a scan of
    every feasible pair only for the requests a pair left out of it could
    gain): that gives the bound, Σ each request's best profit over every
    feasible pair (at least 0) + Σ unit price · free units + Σ stake price,
    and each request's `pricing_k` best pairs of positive profit; those not
    yet seen join the auction, which goes on from its prices and bids, for at
    most `pricing_rounds` rounds (past the first, only on pools of up to
    `LATER_PRICING_MAX_PAIRS` pairs, before the deadline, and when the pairs
    the last round added moved a bid or a price). `warm`: prices to start from (the previous
    batch's); any prices give a proven bound, good ones a fast auction.
    """
    n_requests = len(requests)
    pairs = _pairs_of(requests, offers, providers, pool)
    if warm is not None and len(warm.unit) == len(offers) and len(warm.share) == len(providers):
        prices = Prices(warm.unit.astype(np.float64).copy(), warm.share.astype(np.float64).copy())
    else:
        prices = Prices(np.zeros(len(offers)), np.zeros(len(providers)))
    bids = Bids.none(n_requests)
    priced = _Pool(pool, n_requests, pool_k)
    free_stake = np.maximum(integer_capacities(offers, providers)[1], 1e-300)
    collateral = offers.collateral_per_unit.astype(np.float64)
    bound: float | None = None
    rounds = 0
    extra = _cover(requests, offers, providers, weights, seed, pairs, cover_k, cover_rounds, cover_draws)
    if len(extra):
        pairs, bids, _ = _joined(pairs, bids, extra, requests, offers, collateral, free_stake)
    while True:
        before = (bids.assigned.copy(), prices.unit.copy(), prices.share.copy())
        auction(pairs, prices, bids)
        # The first pricing runs whatever the time: it is what proves the bound. Later ones only on pools of up to
        # `LATER_PRICING_MAX_PAIRS`, where they end long before the deadline, and only when the pairs the last one
        # added moved a bid or a price: else pricing the same prices again over a few more pairs finds next to
        # nothing (1,000 x 10,000 scarce, seed 7: 6 pairs, then 1, and neither moved a bid).
        if rounds >= pricing_rounds or (
            rounds > 0
            and (
                len(pairs) > LATER_PRICING_MAX_PAIRS
                or time.monotonic() > deadline
                or all(np.array_equal(a, b) for a, b in zip(before, (bids.assigned, prices.unit, prices.share)))
            )
        ):
            break
        rounds += 1
        held = bids.assigned[bids.assigned >= 0]
        polished, _ = descend(pairs, prices, descent_iterations, floor=float(pairs.score[held].sum()))
        cost = polished.unit + collateral * (polished.share / free_stake)[offers.provider]
        r, o, score, cover = _price(
            requests, offers, providers, weights, seed, pricing_k, priced, cost, np.zeros(n_requests)
        )
        found = float(cover.sum() + polished.unit @ pairs.free_units + polished.share.sum())
        bound = found if bound is None else min(bound, found)
        pairs, bids, added = _joined(pairs, bids, Candidates(r, o, score), requests, offers, collateral, free_stake)
        if not added:
            break
    # Sorted by (request, offer), as `assignment.match` keeps every pair it found.
    order = np.lexsort((pairs.offer, pairs.request))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    chosen = np.sort(position[bids.assigned[bids.assigned >= 0]])
    found_pairs = Candidates(pairs.request[order], pairs.offer[order], pairs.score[order])
    return AuctionResult(found_pairs, chosen, prices, bound, rounds)
