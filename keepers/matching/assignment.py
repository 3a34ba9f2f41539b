"""The whole batch as one capacity-aware assignment.

Each request takes all its units from one offer. Offers have free units and
providers have free stake shared by their offers, so this is a generalised
assignment problem, a 0/1 integer programme over the candidate pairs:

    maximise   Σ score[p] · x[p]
    subject to Σ x[p] ≤ 1                              for every request
               Σ units[p] · x[p] ≤ free units           for every offer
               Σ units[p] · collateral[p] · x[p] ≤ free stake   for every provider
               x[p] ∈ {0, 1}

`solve` works in three steps (docs/matching.md, "The assignment"):

1. Reduce, exactly. An offer or provider whose candidates together fit its
   capacity can never bind. A request's best pair through such slack capacity
   only ("free pair") is worth at least as much as any of its pairs scoring no
   more, so those pairs go; that frees capacity, so repeat until nothing moves.
2. Split, exactly. What is left falls apart into independent parts: requests
   linked by an offer or provider that may bind. A part of one request takes
   its best pair.
3. Solve each part with SciPy's HiGHS. A part of at most `milp_max_pairs`
   pairs (small parts are batched together) is solved as the 0/1 programme.
   A larger part is solved as rounds of its linear relaxation (the first
   round's optimum is an upper bound): each round keeps the pairs the
   relaxation sets to 1 and relaxes the rest again on the capacity left; the
   regret order (`_regret_pairs`) finishes what `_LP_ROUNDS` rounds leave. A part past
   `shard_max_pairs` is first cut by GPU model (`_home_shards`).

The result is checked against the exact capacities before it is returned,
and requests left unserved may take any pair that still fits.

`match`, what the matcher keeper runs, by default runs the primal-dual
auction (`auction.match_by_auction`), which also proves a bound, and only when
its gap is above `HYBRID_GAP` on a small enough pool HiGHS's route too
(`_match_relaxation`): the pairs worth solving over by column generation
(`columns.relax`), the relaxation's optimum rounded with `solve` (`_round`).
Both end with a local improvement over every pair they found (`improve.improve`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from .auction import Prices, match_by_auction
from .book import OfferBook, ProviderBook, RequestBook, integer_capacities, select_rows
from .columns import Relaxation, relax
from .improve import best_first, improve
from .packing import pack
from .scoring import Candidates, Weights, candidates

_INTEGRAL = 1e-6  # a relaxation value within this of 1 counts as 1
_LP_ROUNDS = 4  # relaxations per large part; each round fixes what the last left fractional
# Up to this many pairs, `solve` over the whole master closes much of the gap between relaxation and
# 0/1 optimum (some 2% on markets of a few hundred requests); past it, keeping the pairs the relaxation
# sets to 1 is as good and much faster (1,000 x 10,000, seed 7: 99.6% of the bound in 0.38 s, against
# 99.3% in 0.65 s).
_ROUND_WHOLE_MAX_PAIRS = 5_000
# The local improvement (`improve.improve`) after the rounds gets the time left, and at least this much of the
# process's CPU time (not wall time, which a loaded machine shares out unevenly):
# it is what packs a scarce market (1,000 x 10,000 scarce shape: 0.1-0.2 s of CPU).
_IMPROVE_MIN_SECONDS = 0.25
# ... plus this much per pair it may move over: 10,000 x 100,000 scarce, about a million pairs, needs some 2 s to
# relocate the served requests into the units the auction left idle (0.25 s: 10,152; 2.25 s: 10,246; 6 s: 10,251).
_IMPROVE_SECONDS_PER_PAIR = 2e-6
# ... and makes at most this many passes over the waiting requests (`improve.improve`'s default).
_IMPROVE_PASSES = 4
# Pairs for filling idle units (`_with_holes`): served requests of at most this many units get their best this many
# pairs among the offers with an idle unit.
_HOLE_UNITS = 2
_HOLE_PAIRS = 8
# The solvers `match` knows, and when "hybrid" runs more than the auction: where the auction's gap to its bound is
# above HYBRID_GAP, the compiled packing (`_pack`); then, where the gap is still above it and the pool holds at most
# HYBRID_MAX_PAIRS pairs, HiGHS's exact parts (`_repack`) and HiGHS's route. Those cost hundredths of a second on a
# small market (scarce shape: 200 x 2,000, 2,100 pairs; 500 x 5,000, 12,600) and close its last percent, but
# 0.2-1.1 s at 1,000 x 10,000 (36,000 pairs), where the packing alone reaches 99.2% of the optimum in 0.05 s;
# at 10,000 x 100,000 (about a million pairs) HiGHS's route is past any time limit on the scarce shape.
SOLVERS = ("hybrid", "auction", "relaxation")
HYBRID_GAP = 0.01
HYBRID_MAX_PAIRS = 20_000
# ... and its result is kept only if it beats the start by more than this (sums of floats in another order).
_IMPROVE_MIN_GAIN = 1e-9
# The compiled packing's sweeps (`_pack`, `packing.pack`; each stops early when it gains nothing), and the local
# improvement's passes over the waiting requests before it (`_improve`; each stops after a pass that moves nothing).
# Scarce shape, seed 7, 1,000 x 10,000 (39,000 pairs): four passes then two sweeps 945.4 -> 958.1 -> 960.3 in 0.05 s
# (one sweep: 959.0; one pass and two sweeps: 960.2; seed 8: 973.7 against 972.5), where HiGHS's parts reached
# 965.7 in 1.1 s. Past `_LARGE_POOL_PAIRS` pairs the hybrid makes one of each (10,000 x 100,000, a million pairs,
# 10,152.4 after the auction): the packing makes the moves the later passes would, and a second sweep adds 0.04%
# for 0.35 s. There one pass and one sweep reach 10,270.6 -> 10,310.7 in 1.0 s, four passes and two sweeps
# 10,285.0 -> 10,310.7 in 1.9 s, one pass and two sweeps 10,314.9 in 1.6 s (seed 8: 10,219.0, 10,223.8, 10,226.4);
# to the end, six sweeps, 10,311.3 in 2.2 s after four passes; HiGHS's parts 10,302.4 in 2.0 s.
_PACK_SWEEPS = 2
_LARGE_POOL_PAIRS = 250_000
_LARGE_POOL_IMPROVE_PASSES = 1
_LARGE_POOL_PACK_SWEEPS = 1
# The hybrid's exact repacking (`_repack`, on small markets: HYBRID_MAX_PAIRS): sweeps over the providers a
# waiting request reaches, in seeded random parts of this many providers, each part's 0/1 programme with at most
# this much time (1,000 x 10,000 scarce, seed 7: parts of 40 providers 965.4 after two sweeps, of 20 961.2 after
# three, one part of all of them past any limit; a part of 40 takes HiGHS 0.01-0.5 s).
_REPACK_PROVIDERS = 40
_REPACK_SWEEPS = 2
_REPACK_PART_SECONDS = 0.5
# Before those, sweeps that solve each part by relax-and-fix (`_fix_and_solve`), run to the end whatever the clock:
# the 0/1 programme over what the relaxation leaves fractional (a few dozen pairs) with a node limit, and a
# time limit only against a pathological part. 10,000 x 100,000 scarce, seed 7, from the same 10,270.6: two such
# sweeps in parts of 30 providers reached 10,303.4 in 1.9 s of CPU (parts of 40: 10,298.4, 2.1 s; of 60:
# 10,299.8, 2.4 s; one sweep of 30: 10,293.2, 1.1 s; three: 10,305.1, 2.6 s), where the exact parts reached
# 10,285.3 in their 2 s (both sweeps to the end, 11 s of CPU: 10,318.7). At 1,000 x 10,000 they keep nothing
# and the exact sweeps do the work.
_REPACK_FIX_SWEEPS = 2
_REPACK_FIX_PROVIDERS = 30
_REPACK_FIX_NODES = 200
_REPACK_FIX_SECONDS = 1.0


@dataclass(frozen=True)
class Assignment:
    """Chosen pairs as rows into the books, and how they were found."""

    request: np.ndarray
    offer: np.ndarray
    total_score: float
    # "auction" (match's auction), "relaxation-rounded" (match, column generation), "optimal", "lp-rounded",
    # "sharded-lp-rounded" (solve), "greedy", "first-come", "empty"; "+rounds" when later rounds added pairs,
    # "+improved" when match's local improvement (`improve.improve`) raised the total, "+packed" and "+repacked"
    # when the hybrid's packing (`_pack`) and HiGHS's repacking (`_repack`) did
    method: str
    # A proven bound when known: from match with pricing, on the optimum over every feasible pair;
    # from solve, on the optimum over the candidates it was given.
    upper_bound: float | None = None
    # The auction's prices (per offer row, per provider row) when it ran: a warm start for the next batch.
    prices: Prices | None = None
    # Wall seconds of each stage of `match` that ran, in order ("pool": the first scoring; "auction": its
    # bid rounds, pricing and bound; "improve": the fill and local improvement; "pack"; "repack"; "relaxation":
    # HiGHS's route), so an operator and the benchmark see what a batch's time went on.
    stage_seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.request)


def optimality_gap(total_score: float, upper_bound: float | None) -> float | None:
    """How far an assignment may be from the optimum: (bound − total) / bound, 0 when the bound is 0.

    With a proven bound (`Assignment.upper_bound`) the optimum lies between the
    total and the bound, so the true shortfall is at most this share. None
    without a bound. A total above its bound (solver tolerances) gives 0.
    """
    if upper_bound is None:
        return None
    if upper_bound <= 0:
        return 0.0
    return max(0.0, (upper_bound - total_score) / upper_bound)


@dataclass(frozen=True)
class _Problem:
    """The candidate pairs with what each one uses, and the capacities."""

    request: np.ndarray
    offer: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    units: np.ndarray  # float64 units the pair takes from its offer
    stake: np.ndarray  # float64 stake the pair locks at its provider
    free_units: np.ndarray  # per offer row
    free_stake: np.ndarray  # per provider row
    n_requests: int
    shard: np.ndarray  # the offer's GPU model

    @classmethod
    def of(cls, requests: RequestBook, offers: OfferBook, providers: ProviderBook, c: Candidates) -> _Problem:
        units = requests.units[c.request].astype(np.float64)
        free_units, free_stake = integer_capacities(offers, providers)
        return cls(
            c.request,
            c.offer,
            offers.provider[c.offer],
            np.asarray(c.score, dtype=np.float64),
            units,
            units * offers.collateral_per_unit[c.offer].astype(np.float64),
            free_units,
            free_stake,
            len(requests),
            offers.gpu_model[c.offer],
        )

    def binding(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Offers and providers (as masks) whose capacity the given pairs together exceed."""
        offer_demand = np.bincount(self.offer[pairs], self.units[pairs], minlength=len(self.free_units))
        stake_demand = np.bincount(self.provider[pairs], self.stake[pairs], minlength=len(self.free_stake))
        return offer_demand > self.free_units, stake_demand > self.free_stake


def solve(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    candidates: Candidates,
    time_limit_seconds: float = 2.0,
    milp_max_pairs: int = 2_000,
    shard_max_pairs: int = 20_000,
) -> Assignment:
    """The best assignment of the candidates HiGHS finds within the time limit, with its bound when it has one."""
    if len(candidates) == 0:
        return _assignment(candidates, np.zeros(0, dtype=np.int64), "empty", 0.0)
    deadline = time.monotonic() + time_limit_seconds
    problem = _Problem.of(requests, offers, providers, candidates)
    kept, binding_offer, binding_provider = _reduce(problem)
    chosen: list[np.ndarray] = []
    bound = 0.0
    exact, sharded = True, False
    small: list[np.ndarray] = []

    def solve_small(pairs: np.ndarray) -> None:
        nonlocal bound, exact
        picked, part_bound, optimal = _solve_small(problem, pairs, deadline)
        chosen.append(picked)
        bound += part_bound
        exact &= optimal

    for part in _parts(problem, kept, binding_offer, binding_provider):
        if len(np.unique(problem.request[part])) == 1:
            best = part[np.argmax(problem.score[part])]
            chosen.append(np.array([best]))
            bound += float(problem.score[best])
        elif len(part) <= milp_max_pairs:
            small.append(part)
            if sum(len(b) for b in small) >= milp_max_pairs:
                solve_small(np.concatenate(small))
                small = []
        else:
            shards = _home_shards(problem, part) if len(part) > shard_max_pairs else [part]
            sharded |= len(shards) > 1
            for shard in shards:
                picked, part_bound, optimal = _solve_large(problem, shard, deadline)
                chosen.append(picked)
                bound += part_bound
                exact &= optimal
    if small:
        solve_small(np.concatenate(small))
    pairs = np.concatenate(chosen)
    # The solver's tolerances are not the chain's: keep what fits exactly, best first; then let a
    # request left unserved (a shard kept it from pairs elsewhere) take any pair that still fits.
    served = np.zeros(problem.n_requests, dtype=bool)
    served[problem.request[pairs]] = True
    others = kept[~served[problem.request[kept]]]
    order = np.concatenate(
        [
            pairs[best_first(problem.score[pairs])],
            others[best_first(problem.score[others])],
        ]
    )
    fitted = _fit(problem, order)
    if sharded:
        return _assignment(candidates, np.sort(fitted), "sharded-lp-rounded")
    method = "optimal" if exact and np.array_equal(np.sort(fitted), np.sort(pairs)) else "lp-rounded"
    return _assignment(candidates, np.sort(fitted), method, bound)


def _home_shards(problem: _Problem, pairs: np.ndarray) -> list[np.ndarray]:
    """A part too large for one relaxation, cut by GPU model.

    A request naming a model has all its pairs in that model's shard; a
    request for any model keeps only its pairs of the model of its best pair,
    and its other pairs get a second chance once all shards are solved (in `solve`).
    """
    r = problem.request[pairs]
    order = np.lexsort((-problem.score[pairs], r))
    first = np.r_[True, r[order][1:] != r[order][:-1]]
    home = np.zeros(problem.n_requests, dtype=problem.shard.dtype)
    home[r[order][first]] = problem.shard[pairs[order][first]]
    at_home = pairs[problem.shard[pairs] == home[r]]
    label = problem.shard[at_home]
    order = np.argsort(label, kind="stable")
    starts = np.flatnonzero(np.r_[True, label[order][1:] != label[order][:-1]])
    return np.split(at_home[order], starts[1:])


def _reduce(problem: _Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop pairs dominated by a free pair (see the module docstring); what is left and what may bind."""
    kept = np.arange(len(problem.score))
    while True:
        binding_offer, binding_provider = problem.binding(kept)
        r, s = problem.request[kept], problem.score[kept]
        free = ~binding_offer[problem.offer[kept]] & ~binding_provider[problem.provider[kept]]
        best_free = np.full(problem.n_requests, -np.inf)
        np.maximum.at(best_free, r[free], s[free])
        # A request keeps one best free pair and every pair scoring more than it.
        first_best = np.zeros(len(kept), dtype=bool)
        at_best = np.flatnonzero(free & (s == best_free[r]))
        _, first = np.unique(r[at_best], return_index=True)
        first_best[at_best[first]] = True
        keep = first_best | (s > best_free[r])
        if keep.all():
            return kept, binding_offer, binding_provider
        kept = kept[keep]


def _parts(
    problem: _Problem, pairs: np.ndarray, binding_offer: np.ndarray, binding_provider: np.ndarray
) -> list[np.ndarray]:
    """The pairs split into independent parts: requests linked through an offer or provider that may bind."""
    n_req, n_off = problem.n_requests, len(problem.free_units)
    nodes = n_req + n_off + len(problem.free_stake)
    r = problem.request[pairs]
    via_offer = binding_offer[problem.offer[pairs]]
    via_provider = binding_provider[problem.provider[pairs]]
    links = sparse.coo_array(
        (
            np.ones(int(via_offer.sum() + via_provider.sum())),
            (
                np.concatenate([r[via_offer], r[via_provider]]),
                np.concatenate(
                    [n_req + problem.offer[pairs][via_offer], n_req + n_off + problem.provider[pairs][via_provider]]
                ),
            ),
        ),
        shape=(nodes, nodes),
    )
    _, label = connected_components(links, directed=False)
    part_of = label[r]
    order = np.argsort(part_of, kind="stable")
    starts = np.flatnonzero(np.r_[True, part_of[order][1:] != part_of[order][:-1]])
    return np.split(pairs[order], starts[1:])


def _constraints(
    problem: _Problem, pairs: np.ndarray, free_units: np.ndarray, free_stake: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """A x ≤ b over the given pairs, with a row only for capacity the pairs could exceed.

    Each provider's stake row is divided by its free stake, so token amounts
    (1e18 and more) stay within what HiGHS accepts as matrix values.
    """
    n = len(pairs)
    offer, provider, units, stake = (
        problem.offer[pairs],
        problem.provider[pairs],
        problem.units[pairs],
        problem.stake[pairs],
    )
    offer_demand = np.bincount(offer, units, minlength=len(free_units))
    stake_demand = np.bincount(provider, stake, minlength=len(free_stake))
    on_offer = offer_demand[offer] > free_units[offer]
    on_provider = stake_demand[provider] > free_stake[provider]

    def incidence(rows: np.ndarray, columns: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, sparse.csr_array]:
        unique, dense_rows = np.unique(rows, return_inverse=True)
        return unique, sparse.csr_array((values, (dense_rows.reshape(-1), columns)), shape=(len(unique), n))

    everyone = np.arange(n)
    _, per_request = incidence(problem.request[pairs], everyone, np.ones(n))
    offer_rows, per_offer = incidence(offer[on_offer], everyone[on_offer], units[on_offer])
    scale = np.maximum(free_stake[provider[on_provider]], 1.0)
    provider_rows, per_provider = incidence(provider[on_provider], everyone[on_provider], stake[on_provider] / scale)
    matrix = sparse.vstack([per_request, per_offer, per_provider], format="csr")
    limit = np.concatenate(
        [
            np.ones(per_request.shape[0]),
            free_units[offer_rows],
            free_stake[provider_rows] / np.maximum(free_stake[provider_rows], 1.0),
        ]
    )
    return matrix, limit


def _milp(
    problem: _Problem,
    pairs: np.ndarray,
    free_units: np.ndarray,
    free_stake: np.ndarray,
    deadline: float,
    node_limit: int | None = None,
):
    """The 0/1 programme over `pairs`: (chosen pairs or None, HiGHS's bound or None, proven optimal)."""
    matrix, limit = _constraints(problem, pairs, free_units, free_stake)
    options = {"time_limit": max(0.05, deadline - time.monotonic()), "mip_rel_gap": 1e-6}
    if node_limit is not None:
        options["node_limit"] = node_limit
    result = milp(
        -problem.score[pairs],
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(matrix, -np.inf, limit)],
        options=options,
    )
    if result.x is None:
        return None, None, False
    bound = getattr(result, "mip_dual_bound", None)
    return pairs[result.x > 0.5], None if bound is None else float(-bound), result.status == 0


def _solve_small(problem: _Problem, pairs: np.ndarray, deadline: float) -> tuple[np.ndarray, float, bool]:
    picked, bound, optimal = _milp(problem, pairs, problem.free_units, problem.free_stake, deadline)
    if picked is None:
        return _greedy_pairs(problem, pairs), _relaxation_bound(problem, pairs), False
    return picked, bound if bound is not None else _relaxation_bound(problem, pairs), optimal


def _relaxation_bound(problem: _Problem, pairs: np.ndarray) -> float:
    """The trivial bound: every request gets its best pair."""
    best = np.full(problem.n_requests, 0.0)
    np.maximum.at(best, problem.request[pairs], problem.score[pairs])
    return float(best.sum())


def _solve_large(problem: _Problem, pairs: np.ndarray, deadline: float) -> tuple[np.ndarray, float, bool]:
    """Rounds of the linear relaxation: keep the pairs it sets whole, relax again what is left.

    The first round's optimum bounds the part. A round that sets nothing whole
    keeps each request's largest fractional pair that fits; after
    `_LP_ROUNDS` rounds the rest goes to the regret order.
    """
    free_units = problem.free_units.copy()
    free_stake = problem.free_stake.copy()
    served = np.zeros(problem.n_requests, dtype=bool)
    picked: list[np.ndarray] = []
    bound: float | None = None
    rest = pairs
    exact = False
    for _ in range(_LP_ROUNDS):
        matrix, limit = _constraints(problem, rest, free_units, free_stake)
        relaxed = linprog(
            -problem.score[rest],
            A_ub=matrix,
            b_ub=limit,
            bounds=(0, 1),
            method="highs",
            options={"time_limit": max(0.05, deadline - time.monotonic())},
        )
        if relaxed.status != 0:
            break
        if bound is None:
            bound = float(-relaxed.fun)
            exact = not np.any((relaxed.x > _INTEGRAL) & (relaxed.x < 1 - _INTEGRAL))
        whole = relaxed.x > 1 - _INTEGRAL
        if not whole.any():
            # Largest value first: the pairs the relaxation leans to most.
            order = np.lexsort((-problem.score[rest], -relaxed.x))
            whole = np.zeros(len(rest), dtype=bool)
            whole[order[relaxed.x[order] > _INTEGRAL]] = True
        taken = _fit(problem, rest[whole][best_first(relaxed.x[whole])], free_units, free_stake)
        picked.append(taken)
        np.subtract.at(free_units, problem.offer[taken], problem.units[taken])
        np.subtract.at(free_stake, problem.provider[taken], problem.stake[taken])
        served[problem.request[taken]] = True
        rest = _still_fitting(problem, rest, served, free_units, free_stake)
        if len(rest) == 0:
            break
    if len(rest):
        picked.append(_regret_pairs(problem, rest, free_units, free_stake))
    chosen = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
    return chosen, bound if bound is not None else _relaxation_bound(problem, pairs), exact


def _still_fitting(
    problem: _Problem, pairs: np.ndarray, served: np.ndarray, free_units: np.ndarray, free_stake: np.ndarray
) -> np.ndarray:
    """The pairs of requests not `served` (a mask per request) that fit the capacity left, each on its own."""
    return pairs[
        ~served[problem.request[pairs]]
        & (problem.units[pairs] <= free_units[problem.offer[pairs]])
        & (problem.stake[pairs] <= free_stake[problem.provider[pairs]])
    ]


def _regret_pairs(problem: _Problem, pairs: np.ndarray, free_units: np.ndarray, free_stake: np.ndarray) -> np.ndarray:
    """Requests that lose most by missing their best pair first, each trying its pairs best first.

    A request's regret is its best score less its second best (or the whole
    best score if it has one pair): score greedy lets a request with good
    alternatives take an offer that another request has no substitute for.
    """
    r, score = problem.request[pairs], problem.score[pairs]
    order = np.lexsort((-score, r))
    rs = r[order]
    first = np.r_[True, rs[1:] != rs[:-1]]
    second = np.r_[rs[1:] == rs[:-1], False] & first
    best = np.zeros(problem.n_requests)
    best[rs[first]] = score[order][first]
    runner_up = np.zeros(problem.n_requests)
    runner_up[rs[np.flatnonzero(second) + 1]] = score[order][np.flatnonzero(second) + 1]
    regret = best - runner_up
    return _fit(problem, pairs[np.lexsort((-score, -regret[r]))], free_units, free_stake)


def _greedy_pairs(
    problem: _Problem, pairs: np.ndarray, free_units: np.ndarray | None = None, free_stake: np.ndarray | None = None
) -> np.ndarray:
    return _fit(problem, pairs[best_first(problem.score[pairs])], free_units, free_stake)


def _fit(
    problem: _Problem, ordered: np.ndarray, free_units: np.ndarray | None = None, free_stake: np.ndarray | None = None
) -> np.ndarray:
    """Pairs in the given order, skipping any whose request is served or whose capacity ran out."""
    # Python lists and dicts: this loop reads single elements, which they serve many times faster than arrays.
    units_all = problem.free_units if free_units is None else free_units
    stake_all = problem.free_stake if free_stake is None else free_stake
    offers, providers = np.unique(problem.offer[ordered]), np.unique(problem.provider[ordered])
    units_left = dict(zip(offers.tolist(), units_all[offers].tolist()))
    stake_left = dict(zip(providers.tolist(), stake_all[providers].tolist()))
    served = set()
    pairs = ordered.tolist()
    request, offer, provider = (
        problem.request[ordered].tolist(),
        problem.offer[ordered].tolist(),
        problem.provider[ordered].tolist(),
    )
    units, stake = problem.units[ordered].tolist(), problem.stake[ordered].tolist()
    taken = []
    for p, r, o, v, u, k in zip(pairs, request, offer, provider, units, stake):
        if r in served or u > units_left[o] or k > stake_left[v]:
            continue
        served.add(r)
        units_left[o] -= u
        stake_left[v] -= k
        taken.append(p)
    return np.asarray(taken, dtype=np.int64)


def _assignment(c: Candidates, pairs: np.ndarray, method: str, bound: float | None = None) -> Assignment:
    return Assignment(c.request[pairs], c.offer[pairs], float(c.score[pairs].sum()), method, bound)


def greedy_by_score(
    requests: RequestBook, offers: OfferBook, providers: ProviderBook, candidates: Candidates
) -> Assignment:
    """Best pair first, skipping pairs whose request is taken or whose capacity ran out."""
    problem = _Problem.of(requests, offers, providers, candidates)
    order = best_first(problem.score)
    return _assignment(candidates, _fit(problem, order), "greedy")


def first_come_greedy(
    requests: RequestBook, offers: OfferBook, providers: ProviderBook, candidates: Candidates
) -> Assignment:
    """What a naive matcher does: requests in id order, each takes its best remaining offer."""
    problem = _Problem.of(requests, offers, providers, candidates)
    order = np.lexsort((-problem.score, requests.ids[candidates.request]))
    return _assignment(candidates, _fit(problem, order), "first-come")


def relaxation_bound(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    candidates: Candidates,
    cutoff: np.ndarray | None = None,
) -> float:
    """A proven upper bound on the optimum over every feasible pair, from the linear relaxation.

    The relaxation over `candidates` is solved with HiGHS; by duality its
    optimum is the dual objective. `cutoff[r]` is a score no pair of request
    `r` left out of `candidates` exceeds (`-inf` if none was left out): raising
    that request's dual price to it makes the dual feasible for the pairs left
    out too, so the raised dual objective bounds the optimum of the whole market.
    """
    if len(candidates) == 0:
        return 0.0
    problem = _Problem.of(requests, offers, providers, candidates)
    pairs = np.arange(len(candidates))
    matrix, limit = _constraints(problem, pairs, problem.free_units, problem.free_stake)
    relaxed = linprog(-problem.score, A_ub=matrix, b_ub=limit, bounds=(0, 1), method="highs")
    if relaxed.status != 0:
        raise RuntimeError(f"the relaxation did not solve: {relaxed.message}")
    bound = float(-relaxed.fun)
    if cutoff is None:
        return bound
    rows = np.unique(problem.request)  # the request rows come first in `matrix`, in this order
    price = -relaxed.ineqlin.marginals[: len(rows)]
    return bound + float(np.maximum(0.0, cutoff[rows] - price).sum())


def match(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    top_k: int = 16,
    time_limit_seconds: float = 2.0,
    milp_max_pairs: int = 2_000,
    shard_max_pairs: int = 20_000,
    rounds: int = 3,
    pricing_rounds: int = 3,
    pricing_k: int = 8,
    pool_k: int = 128,
    solver: str = "hybrid",
    warm: Prices | None = None,
) -> tuple[Candidates, Assignment]:
    """The batch's assignment and a proven bound on the optimum over every feasible pair.

    `solver` (docs/matching.md, "The assignment"):

    - "auction": the primal-dual auction over each request's best `pool_k`
      pairs (`auction.match_by_auction`), with up to `pricing_rounds` rounds
      that price every feasible pair at the auction's prices, add each
      request's `pricing_k` best of positive profit and give the bound; its
      assignment filled greedily and improved locally (`_improve`);
    - "relaxation": HiGHS's column generation over the same pool, rounded,
      then rounds and the local improvement (`_match_relaxation`);
    - "hybrid" (the default): the auction; when its gap to its bound is above
      `HYBRID_GAP`, its assignment repacked provider by provider (`_pack`, a
      compiled dynamic programme), and then, if the gap is still above it and
      the pool has at most `HYBRID_MAX_PAIRS` pairs (a small market, where
      HiGHS solves in hundredths of a second), repacked part by part with
      HiGHS (`_repack`) and HiGHS's route as well; the better assignment is
      kept, with the smaller of the two bounds.

    With `pricing_rounds` 0 the top-k candidates are solved directly (`solve`),
    with no bound over the whole market. `warm`: the auction's prices to start
    from (rows of these books), such as the previous batch's.
    """
    if solver not in SOLVERS:
        raise ValueError(f"matching solver must be one of {', '.join(SOLVERS)}, got {solver!r}")
    deadline = time.monotonic() + time_limit_seconds
    settings = (top_k, time_limit_seconds, milp_max_pairs, shard_max_pairs, rounds, pricing_rounds, pricing_k, pool_k)
    if solver == "relaxation" or pricing_rounds == 0:
        started = time.monotonic()
        found, result = _match_relaxation(requests, offers, providers, weights, seed, *settings, deadline)
        return found, dataclasses.replace(result, stage_seconds={"relaxation": time.monotonic() - started})
    size = max(top_k, pool_k)
    stages: dict[str, float] = {}
    clock = time.monotonic()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.monotonic()
        stages[stage] = now - clock
        clock = now

    pool = candidates(requests, offers, providers, weights, seed, top_k=size, by_score=True)
    lap("pool")
    auctioned = match_by_auction(
        requests, offers, providers, weights, seed, pool, size, pricing_k, pricing_rounds, deadline, warm
    )
    lap("auction")
    found = auctioned.candidates
    problem = _Problem.of(requests, offers, providers, found)
    chosen = auctioned.chosen
    # The auction's pairs first (best first), then any pair of a request left out that still fits, best first.
    served = np.zeros(len(requests), dtype=bool)
    served[found.request[chosen]] = True
    rest = np.flatnonzero(~served[found.request])
    start = _fit(
        problem,
        np.concatenate(
            [
                chosen[best_first(problem.score[chosen])],
                rest[best_first(problem.score[rest])],
            ]
        ),
    )
    found, start = _with_holes(requests, offers, providers, weights, seed, found, start)
    large_pool = len(found) > _LARGE_POOL_PAIRS
    r, o, total, improved = _improve(
        requests,
        offers,
        providers,
        found,
        found.request[start],
        found.offer[start],
        deadline,
        passes=_LARGE_POOL_IMPROVE_PASSES if solver == "hybrid" and large_pool else _IMPROVE_PASSES,
    )
    order = np.argsort(r, kind="stable")
    lap("improve")
    result = Assignment(
        r[order],
        o[order],
        total,
        "auction+improved" if improved else "auction",
        auctioned.bound,
        auctioned.prices,
        stages,
    )
    gap = optimality_gap(result.total_score, result.upper_bound)
    if solver == "auction" or (gap is not None and gap <= HYBRID_GAP):
        return found, result
    result = _pack(
        requests, offers, providers, found, result, seed, _LARGE_POOL_PACK_SWEEPS if large_pool else _PACK_SWEEPS
    )
    lap("pack")
    gap = optimality_gap(result.total_score, result.upper_bound)
    if (gap is not None and gap <= HYBRID_GAP) or len(pool) > HYBRID_MAX_PAIRS:
        return found, result
    result = _repack(requests, offers, providers, found, result, seed, time.monotonic() + time_limit_seconds)
    lap("repack")
    gap = optimality_gap(result.total_score, result.upper_bound)
    if gap is not None and gap <= HYBRID_GAP:
        return found, result
    # HiGHS's route gets a time limit of its own: started at the auction's deadline on a loaded machine, it would
    # get none, and on a pool this small (HYBRID_MAX_PAIRS) it needs some 0.05 s of CPU.
    other_found, other = _match_relaxation(
        requests, offers, providers, weights, seed, *settings, time.monotonic() + time_limit_seconds, pool=pool
    )
    lap("relaxation")
    bounds = [b for b in (result.upper_bound, other.upper_bound) if b is not None]
    bound = min(bounds) if bounds else None
    if other.total_score > result.total_score + _IMPROVE_MIN_GAIN:
        return other_found, dataclasses.replace(other, upper_bound=bound, prices=result.prices, stage_seconds=stages)
    return found, dataclasses.replace(result, upper_bound=bound)


def _pack(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    found: Candidates,
    start: Assignment,
    seed: int,
    sweeps: int = _PACK_SWEEPS,
) -> Assignment:
    """`start` repacked provider by provider, each with the providers it trades requests with (`packing.pack`).

    Where capacity is scarce the loss is in how requests of a few units share
    out the providers' units and stake (docs/matching.md, "The packing"); each
    group's packing is solved exactly by a compiled dynamic programme, the
    providers a waiting request reaches visited in a seeded order, for up to
    `sweeps` sweeps (fewer when one gains nothing; `match` makes
    `_LARGE_POOL_PACK_SWEEPS` past `_LARGE_POOL_PAIRS` pairs). No clock: a
    function of the books and the seed.
    """
    problem, chosen, before = _started(requests, offers, providers, found, start)
    packed = pack(
        problem.request,
        problem.offer,
        problem.provider,
        problem.score,
        problem.units,
        problem.stake,
        problem.free_units,
        problem.free_stake,
        chosen,
        seed,
        sweeps,
    )
    return _if_better(problem, found, start, before, packed, "+packed")


def _repack(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    found: Candidates,
    start: Assignment,
    seed: int,
    deadline: float,
) -> Assignment:
    """`start` repacked part by part: each part's served requests and the waiting ones re-solved.

    Where capacity is scarce the loss is in how requests of one or two units
    share out the units and stake: a provider holding a 3-unit request where a
    2-unit one and a 1-unit one from elsewhere would fit, another holding four
    1-unit requests where two of them and a 2-unit one would. Moves of one or
    two requests (`improve`) cannot reach those packings; a 0/1 programme over
    a few dozen providers at once can. Per sweep, the providers that a waiting
    request has a pair with are cut into seeded random parts of
    `_REPACK_PROVIDERS`; for each part, the requests served there are freed and
    re-solved over their pairs and the waiting requests' pairs there (of at
    most as many units as the largest request served there, so the programme
    stays small), and over their pairs with the room the requests outside the
    part leave idle (units that price out the waiting requests, which a
    request moved out of the part joins). Every pair lies in the part, whose
    capacity the freed requests held, or in room left idle, so the result
    stays feasible; a part's solution is kept only if it scores more.

    The first `_REPACK_FIX_SWEEPS` sweeps solve each part by relax-and-fix
    (`_fix_and_solve`: the part's relaxation, its whole pairs kept, the 0/1
    programme over what is left with a node limit), a few hundredths of a
    second a part, and always run to the end: the same books give the same
    result. The `_REPACK_SWEEPS` sweeps after them solve each part's whole 0/1
    programme, within `_REPACK_PART_SECONDS` a part and `deadline` in all.
    """
    problem, chosen, before = _started(requests, offers, providers, found, start)
    rng = np.random.default_rng([seed, 17])
    by_provider = np.argsort(problem.provider, kind="stable")
    provider_start = np.searchsorted(problem.provider[by_provider], np.arange(len(providers) + 1))
    by_request = np.argsort(problem.request, kind="stable")
    request_start = np.searchsorted(problem.request[by_request], np.arange(len(requests) + 1))

    def pairs_of(rows: np.ndarray, order: np.ndarray, first: np.ndarray) -> np.ndarray:
        lo, hi = first[rows], first[rows + 1]
        counts = hi - lo
        at = np.repeat(lo - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(counts.sum())
        return order[at]

    for sweep in range(_REPACK_FIX_SWEEPS + _REPACK_SWEEPS):
        exact = sweep >= _REPACK_FIX_SWEEPS
        served = np.zeros(len(requests), dtype=bool)
        served[problem.request[chosen]] = True
        reached = np.unique(problem.provider[~served[problem.request]])
        if len(reached) == 0:
            break
        reached = rng.permutation(reached)
        size = _REPACK_PROVIDERS if exact else _REPACK_FIX_PROVIDERS
        for first in range(0, len(reached), size):
            now = time.monotonic()
            if exact and now > deadline:
                break
            members = reached[first : first + size]
            part = np.zeros(len(providers), dtype=bool)
            part[members] = True
            inside = part[problem.provider[chosen]]
            outside = chosen[~inside]
            served = np.zeros(len(requests), dtype=bool)
            served[problem.request[outside]] = True
            largest = problem.units[chosen[inside]].max(initial=0.0)
            # The room the requests outside the part leave idle, which the part's requests may move into.
            units_cap = problem.free_units - np.bincount(
                problem.offer[outside], problem.units[outside], minlength=len(offers)
            )
            stake_cap = problem.free_stake - np.bincount(
                problem.provider[outside], problem.stake[outside], minlength=len(providers)
            )
            # The part's pairs, and the pairs of the requests served there with offers outside it.
            pairs = np.concatenate(
                [
                    pairs_of(members, by_provider, provider_start),
                    pairs_of(problem.request[chosen[inside]], by_request, request_start),
                ]
            )
            pairs = np.unique(pairs)
            pairs = pairs[
                ~served[problem.request[pairs]]
                & (problem.units[pairs] <= largest)
                & (
                    part[problem.provider[pairs]]
                    | (
                        (problem.units[pairs] <= units_cap[problem.offer[pairs]])
                        & (problem.stake[pairs] <= stake_cap[problem.provider[pairs]])
                    )
                )
            ]
            if len(pairs) == 0:
                continue
            units_cap, stake_cap = np.maximum(units_cap, 0.0), np.maximum(stake_cap, 0.0)
            if exact:
                picked, _, _ = _milp(problem, pairs, units_cap, stake_cap, min(deadline, now + _REPACK_PART_SECONDS))
            else:
                picked = _fix_and_solve(problem, pairs, units_cap, stake_cap)
            if (
                picked is not None
                and problem.score[picked].sum() > problem.score[chosen[inside]].sum() + _IMPROVE_MIN_GAIN
            ):
                chosen = np.concatenate([outside, picked])
    return _if_better(problem, found, start, before, chosen, "+repacked")


def _started(
    requests: RequestBook, offers: OfferBook, providers: ProviderBook, found: Candidates, start: Assignment
) -> tuple[_Problem, np.ndarray, float]:
    """The problem over `found`, `start`'s pairs as rows of it, and their total: where a repacking begins."""
    problem = _Problem.of(requests, offers, providers, found)
    key = found.request * len(offers) + found.offer
    chosen = np.searchsorted(key, start.request * len(offers) + start.offer)
    return problem, chosen, float(problem.score[chosen].sum())


def _if_better(
    problem: _Problem, found: Candidates, start: Assignment, before: float, chosen: np.ndarray, suffix: str
) -> Assignment:
    """`chosen` (pairs of `found`) fitted to the exact capacities, best first, if it scores more than `start`."""
    kept = _fit(problem, chosen[best_first(problem.score[chosen])])
    total = float(problem.score[kept].sum())
    if total <= before + _IMPROVE_MIN_GAIN:
        return start
    order = np.argsort(found.request[kept], kind="stable")
    return dataclasses.replace(
        start,
        request=found.request[kept][order],
        offer=found.offer[kept][order],
        total_score=total,
        method=f"{start.method}{suffix}",
    )


def _relaxed_values(
    problem: _Problem, pairs: np.ndarray, free_units: np.ndarray, free_stake: np.ndarray
) -> np.ndarray | None:
    """The relaxation over `pairs` (each pair's value in its optimum), by HiGHS's own API; None if not solved.

    `linprog` would spend about a third as long again in its wrapper on a part's few thousand pairs.
    """
    matrix, limit = _constraints(problem, pairs, free_units, free_stake)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    n = len(pairs)
    highs.addCols(
        n, -problem.score[pairs], np.zeros(n), np.ones(n), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), []
    )
    highs.addRows(
        len(limit),
        np.full(len(limit), -highspy.kHighsInf),
        limit,
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(highs.getSolution().col_value)


def _fix_and_solve(
    problem: _Problem, pairs: np.ndarray, free_units: np.ndarray, free_stake: np.ndarray
) -> np.ndarray | None:
    """Relax-and-fix over `pairs`: the pairs the relaxation takes whole, and the 0/1 programme over the rest.

    The relaxation of a part (a few thousand pairs) solves in hundredths of a second and leaves a few dozen
    pairs fractional; with its whole pairs kept and their capacity taken, the 0/1 programme over the pairs
    still fitting the rest is small, and runs under a node limit (`_REPACK_FIX_NODES`), not a clock. None if
    HiGHS found nothing.
    """
    values = _relaxed_values(problem, pairs, free_units, free_stake)
    if values is None:
        return None
    whole = pairs[values > 1 - _INTEGRAL]
    units_left = free_units - np.bincount(problem.offer[whole], problem.units[whole], minlength=len(free_units))
    stake_left = free_stake - np.bincount(problem.provider[whole], problem.stake[whole], minlength=len(free_stake))
    done = np.zeros(problem.n_requests, dtype=bool)
    done[problem.request[whole]] = True
    rest = _still_fitting(problem, pairs, done, units_left, stake_left)
    if len(rest) == 0:
        return whole
    picked, _, _ = _milp(
        problem,
        rest,
        np.maximum(units_left, 0.0),
        np.maximum(stake_left, 0.0),
        time.monotonic() + _REPACK_FIX_SECONDS,
        _REPACK_FIX_NODES,
    )
    return whole if picked is None else np.concatenate([whole, picked])


def _with_holes(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    found: Candidates,
    chosen: np.ndarray,
) -> tuple[Candidates, np.ndarray]:
    """`found` with pairs that let the local improvement fill the units an assignment leaves idle; `chosen` moved along.

    An offer left with fewer free units than any waiting request of it asks
    for (a hole) can still take a served request of that few units, which
    frees the room where it was for a waiting one: the move
    `improve` makes (a relocation) when it has the pair. The served requests
    of at most `_HOLE_UNITS` units each get their best `_HOLE_PAIRS` pairs
    among the offers with an idle unit their provider's stake still backs.
    """
    problem = _Problem.of(requests, offers, providers, found)
    units_left = problem.free_units - np.bincount(problem.offer[chosen], problem.units[chosen], minlength=len(offers))
    stake_left = problem.free_stake - np.bincount(
        problem.provider[chosen], problem.stake[chosen], minlength=len(providers)
    )
    served = np.zeros(len(requests), dtype=bool)
    served[problem.request[chosen]] = True
    if served.all():
        return found, chosen
    backed = stake_left[offers.provider] >= offers.collateral_per_unit * (1 - 1e-9)
    holes = np.flatnonzero((units_left >= 1) & backed)
    small = np.flatnonzero(served & (requests.units <= _HOLE_UNITS))
    if len(holes) == 0 or len(small) == 0:
        return found, chosen
    more = candidates(
        select_rows(requests, small), select_rows(offers, holes), providers, weights, seed, top_k=_HOLE_PAIRS
    )
    if len(more) == 0:
        return found, chosen
    key = found.request * len(offers) + found.offer
    new_key = small[more.request] * len(offers) + holes[more.offer]
    joined, first = np.unique(np.concatenate([key, new_key]), return_index=True)
    score = np.concatenate([found.score, more.score])[first]
    grown = Candidates(joined // len(offers), joined % len(offers), score)
    return grown, np.searchsorted(joined, key[chosen])


def _match_relaxation(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    top_k: int,
    time_limit_seconds: float,
    milp_max_pairs: int,
    shard_max_pairs: int,
    rounds: int,
    pricing_rounds: int,
    pricing_k: int,
    pool_k: int,
    deadline: float,
    pool: Candidates | None = None,
) -> tuple[Candidates, Assignment]:
    """HiGHS's route: the relaxation over every feasible pair, rounded; then rounds for requests left unserved.

    Every request ranks offers much alike (reputation, uptime and price are
    the provider's), so each request's top-k pairs crowd onto the same offers.
    Column generation (`columns.relax`, up to `pricing_rounds` rounds that each
    add a request's `pricing_k` best pairs by reduced score) finds the pairs the
    relaxation over the whole market uses, and a proven upper bound on the
    optimum (`Assignment.upper_bound`). Its optimum is rounded (`_round`). With
    `pricing_rounds` 0, or if the first relaxation does not solve in the time
    limit, the top-k candidates are solved directly (`solve`).

    Each further round scores the unserved requests against the offers with
    units and stake left and assigns them on what is left; scores stay those
    of the full books, so rounds add up. Last, the local improvement
    (`_improve`) moves requests among every pair found, in the time left and
    at least `_IMPROVE_MIN_SECONDS` plus `_IMPROVE_SECONDS_PER_PAIR` per pair.
    """
    relaxed = None
    if pricing_rounds > 0:
        relaxed = relax(
            requests,
            offers,
            providers,
            weights,
            seed,
            top_k,
            pricing_k,
            pricing_rounds,
            deadline,
            shard=True,
            pool_k=pool_k,
            pool=pool,
        )
    if relaxed is None:
        found = candidates(requests, offers, providers, weights, seed, top_k=top_k)
        chosen = solve(requests, offers, providers, found, time_limit_seconds, milp_max_pairs, shard_max_pairs)
        bound = chosen.upper_bound
    else:
        found = relaxed.candidates
        chosen = _round(requests, offers, providers, relaxed, time_limit_seconds, milp_max_pairs, shard_max_pairs)
        bound = relaxed.bound
    all_found = [found]
    picked_r, picked_o = [chosen.request], [chosen.offer]
    method = chosen.method
    for _ in range(rounds - 1):
        units_left = offers.free_units.astype(np.float64).copy()
        stake_left = providers.free_stake.astype(np.float64).copy()
        r, o = np.concatenate(picked_r), np.concatenate(picked_o)
        np.subtract.at(units_left, o, requests.units[r])
        np.subtract.at(
            stake_left, offers.provider[o], requests.units[r] * offers.collateral_per_unit[o].astype(np.float64)
        )
        waiting = np.setdiff1d(np.arange(len(requests)), r)
        open_offers = np.flatnonzero((units_left >= 1) & (stake_left[offers.provider] > 0))
        if len(waiting) == 0 or len(open_offers) == 0:
            break
        more = candidates(
            select_rows(requests, waiting), select_rows(offers, open_offers), providers, weights, seed, top_k=top_k
        )
        more = Candidates(waiting[more.request], open_offers[more.offer], more.score)
        if len(more) == 0:
            break
        left_offers = dataclasses.replace(offers, free_units=units_left)
        left_providers = dataclasses.replace(providers, free_stake=stake_left)
        extra = solve(requests, left_offers, left_providers, more, time_limit_seconds, milp_max_pairs, shard_max_pairs)
        if len(extra) == 0:
            break
        all_found.append(more)
        picked_r.append(extra.request)
        picked_o.append(extra.offer)
        method = f"{chosen.method}+rounds"
    found = Candidates(*(np.concatenate([getattr(c, f) for c in all_found]) for f in ("request", "offer", "score")))
    # A pair can be found twice (in the master and again in a round): keep one of each.
    _, once = np.unique(found.request * len(offers) + found.offer, return_index=True)
    found = Candidates(found.request[once], found.offer[once], found.score[once])
    r, o = np.concatenate(picked_r), np.concatenate(picked_o)
    r, o, total, improved = _improve(requests, offers, providers, found, r, o, deadline)
    if improved:
        method = f"{method}+improved"
    order = np.argsort(r, kind="stable")
    if relaxed is None and len(picked_r) > 1:
        bound = None  # the first solve's bound covers its candidates only, not the rounds' pairs
    return found, Assignment(r[order], o[order], total, method, bound)


def _improve(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    found: Candidates,
    r: np.ndarray,
    o: np.ndarray,
    deadline: float,
    cpu_seconds: float | None = None,
    passes: int = _IMPROVE_PASSES,
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """The assignment (r, o) after local improvement over `found` (`improve.improve`): (r, o, total, raised).

    It makes at most `passes` passes over the waiting requests (fewer when one moves nothing), until `deadline`
    (time.monotonic()), and for at least `cpu_seconds` of the process's CPU time (by default
    `_IMPROVE_MIN_SECONDS` plus `_IMPROVE_SECONDS_PER_PAIR` per pair of `found`).

    `found` holds each pair once, sorted by (request, offer), and every pair of
    the assignment. The result is checked against the exact capacities, best
    pair first, and kept only if it scores more than the assignment it started from.
    """
    if cpu_seconds is None:
        cpu_seconds = _IMPROVE_MIN_SECONDS + _IMPROVE_SECONDS_PER_PAIR * len(found)
    problem = _Problem.of(requests, offers, providers, found)
    key = found.request * len(offers) + found.offer
    start = np.searchsorted(key, r * len(offers) + o)
    before = float(problem.score[start].sum())
    # Only the requests a move can touch take part: those waiting, and those served on an offer or at a
    # provider a waiting request has a pair with (every move starts from a waiting request's pair). The
    # others keep their pairs, and what those take is off the capacities.
    served = np.zeros(len(requests), dtype=bool)
    served[r] = True
    waiting = ~served[problem.request]
    if not waiting.any():
        return r, o, before, False
    near_offer = np.zeros(len(offers), dtype=bool)
    near_offer[problem.offer[waiting]] = True
    near_provider = np.zeros(len(providers), dtype=bool)
    near_provider[problem.provider[waiting]] = True
    movable = near_offer[problem.offer[start]] | near_provider[problem.provider[start]]
    taking_part = ~served
    taking_part[problem.request[start[movable]]] = True
    sub = np.flatnonzero(taking_part[problem.request])
    fixed = start[~movable]
    units_left = problem.free_units - np.bincount(problem.offer[fixed], problem.units[fixed], minlength=len(offers))
    stake_left = problem.free_stake - np.bincount(
        problem.provider[fixed], problem.stake[fixed], minlength=len(providers)
    )
    moved = improve(
        problem.request[sub],
        problem.offer[sub],
        problem.provider[sub],
        problem.score[sub],
        problem.units[sub],
        problem.stake[sub],
        units_left,
        stake_left,
        np.searchsorted(sub, start[movable]),
        deadline,
        max_passes=passes,
        cpu_seconds=cpu_seconds,
    )
    moved = np.concatenate([fixed, sub[moved]])
    kept = _fit(problem, moved[best_first(problem.score[moved])])
    total = float(problem.score[kept].sum())
    if total <= before + _IMPROVE_MIN_GAIN:
        return r, o, before, False
    return found.request[kept], found.offer[kept], total, True


def _round(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    relaxed: Relaxation,
    time_limit_seconds: float,
    milp_max_pairs: int,
    shard_max_pairs: int,
) -> Assignment:
    """The relaxation's optimum made whole.

    A master of at most `_ROUND_WHOLE_MAX_PAIRS` pairs is solved whole by
    `solve` (its parts exactly where they are small enough). A larger one keeps the
    pairs the relaxation sets to 1, checked against the exact capacities best
    first, and solves the requests left (those the relaxation splits between
    pairs, or serves with none) by `solve` over their pairs of the master that
    still fit.
    """
    c = relaxed.candidates
    if len(c) <= _ROUND_WHOLE_MAX_PAIRS:
        whole = solve(requests, offers, providers, c, time_limit_seconds, milp_max_pairs, shard_max_pairs)
        return dataclasses.replace(whole, method="relaxation-rounded", upper_bound=relaxed.bound)
    problem = _Problem.of(requests, offers, providers, c)
    whole = np.flatnonzero(relaxed.value > 1 - _INTEGRAL)
    kept = _fit(problem, whole[best_first(problem.score[whole])])
    units_left = problem.free_units.copy()
    stake_left = problem.free_stake.copy()
    np.subtract.at(units_left, problem.offer[kept], problem.units[kept])
    np.subtract.at(stake_left, problem.provider[kept], problem.stake[kept])
    served = np.zeros(problem.n_requests, dtype=bool)
    served[problem.request[kept]] = True
    rest = np.flatnonzero(
        ~served[problem.request]
        & (problem.units <= units_left[problem.offer])
        & (problem.stake <= stake_left[problem.provider])
    )
    extra = solve(
        requests,
        dataclasses.replace(offers, free_units=units_left),
        dataclasses.replace(providers, free_stake=stake_left),
        Candidates(c.request[rest], c.offer[rest], c.score[rest]),
        time_limit_seconds,
        milp_max_pairs,
        shard_max_pairs,
    )
    r = np.concatenate([c.request[kept], extra.request])
    o = np.concatenate([c.offer[kept], extra.offer])
    order = np.argsort(r, kind="stable")
    return Assignment(
        r[order], o[order], float(problem.score[kept].sum()) + extra.total_score, "relaxation-rounded", relaxed.bound
    )
