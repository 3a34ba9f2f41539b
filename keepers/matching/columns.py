"""Column generation: the linear relaxation over every feasible pair, scoring only the pairs that can matter.

The relaxation of the assignment (docs/matching.md, "The assignment") over a
set of candidate pairs, the restricted master, has a dual: a price w[r] per
request, a price per unit u[o] per offer and a price per stake unit v[p] per
provider. A pair left out of the master could raise the optimum only if its
reduced score

    score − units · (u[o] + collateral · v[p]) − w[r]

is positive. `candidates` with `unit_cost` and `threshold` finds, for every
request, the pairs of largest reduced score among every feasible pair (the
pricing); the best few per request join the master and it is solved again,
warm, from its last basis. Whatever the round, the duals give a proven upper
bound on the optimum over every feasible pair (weak duality; `Relaxation.bound`),
and when no pair has a positive reduced score the master's optimum is the
relaxation's optimum over the whole market.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .book import OfferBook, ProviderBook, RequestBook, integer_capacities, select_rows
from .kernels import pool_pricing
from .scoring import Candidates, Weights, candidates

# A pair joins the master only if its reduced score exceeds this: HiGHS's dual tolerance is 1e-7,
# so pairs already in the master can price a hair above zero.
_REDUCED_SCORE_MIN = 1e-6
# Pricing stops once the bound is within this share of the master's optimum.
_RELATIVE_GAP = 1e-4
# HiGHS options for the masters. Without scaling (every entry is a unit count of 1 to 8, or a stake
# share of at most 1) the masters of 10,000 x 100,000 (seed 7) solve some 5% faster.
_HIGHS_OPTIONS = {"output_flag": False, "simplex_scale_strategy": 0}


@dataclass(frozen=True)
class Relaxation:
    """The master's pairs with their relaxed values, its optimum and a proven bound over every feasible pair."""

    candidates: Candidates
    value: np.ndarray  # each pair's value in the master's optimum, in [0, 1]
    objective: float  # the master's optimum
    bound: float | None  # proven upper bound on the optimum over every feasible pair; None if no pricing ran
    rounds: int  # pricing rounds run
    # The last master's dual prices (per request, per offer unit, per provider stake token); None if none solved.
    prices: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


class _Master:
    """The restricted master as one HiGHS model, with rows added as pairs arrive.

    A request's row exists once it has a pair; an offer's or provider's only
    once its pairs together could exceed its capacity (a row that can never bind
    only slows the simplex; its price is 0). Each provider's stake row is
    divided by its free stake, so token amounts stay within what HiGHS accepts.
    """

    def __init__(self, requests: RequestBook, offers: OfferBook, providers: ProviderBook):
        self.requests, self.offers = requests, offers
        self.units_cap, self.free_stake = integer_capacities(offers, providers)
        self.stake_scale = np.maximum(self.free_stake, 1.0)
        self.stake_cap = self.free_stake / self.stake_scale
        self.collateral = offers.collateral_per_unit.astype(np.float64)
        self.row = [np.full(n, -1) for n in (len(requests), len(offers), len(providers))]
        self.demand = [np.zeros(len(offers)), np.zeros(len(providers))]
        self.rows = 0
        self.request = np.zeros(0, dtype=np.int64)
        self.offer = np.zeros(0, dtype=np.int64)
        self.score = np.zeros(0)
        # HiGHS's own Python API rather than linprog: it keeps the simplex basis between
        # solves, so a master with new columns restarts from the last optimum.
        self.highs = highspy.Highs()
        for option, value in _HIGHS_OPTIONS.items():
            self.highs.setOptionValue(option, value)
        self.solved_values = np.zeros(0)

    def __len__(self) -> int:
        return len(self.request)

    def _coefficients(self, r: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each pair's provider, units on its offer's row and scaled stake on its provider's row."""
        provider = self.offers.provider[o]
        units = self.requests.units[r].astype(np.float64)
        return provider, units, units * self.collateral[o] / self.stake_scale[provider]

    def add(self, r: np.ndarray, o: np.ndarray, score: np.ndarray) -> None:
        """New pairs (none already in the master) as columns, with the rows they need."""
        provider, units, stake = self._coefficients(r, o)
        fresh = np.unique(r[self.row[0][r] < 0])
        self._add_rows(self.row[0], fresh, np.ones(len(fresh)), np.zeros(0, dtype=np.int64), np.zeros(0))
        np.add.at(self.demand[0], o, units)
        np.add.at(self.demand[1], provider, stake)
        old_provider, old_units, old_stake = self._coefficients(self.request, self.offer)
        for row, demand, cap, key, old_key, old_value in (
            (self.row[1], self.demand[0], self.units_cap, o, self.offer, old_units),
            (self.row[2], self.demand[1], self.stake_cap, provider, old_provider, old_stake),
        ):
            crossing = np.unique(key[(row[key] < 0) & (demand[key] > cap[key])])
            on = np.flatnonzero(np.isin(old_key, crossing))
            self._add_rows(row, crossing, cap[crossing], on, old_value[on], old_key[on])
        index = np.stack([self.row[0][r], self.row[1][o], self.row[2][provider]], axis=1)
        value = np.stack([np.ones(len(r)), units, stake], axis=1)
        present = index >= 0
        count = present.sum(axis=1)
        self.highs.addCols(
            len(r),
            -np.asarray(score, dtype=np.float64),
            np.zeros(len(r)),
            np.ones(len(r)),
            int(count.sum()),
            _starts(count),
            index[present].astype(np.int32),
            value[present],
        )
        self.request = np.concatenate([self.request, r])
        self.offer = np.concatenate([self.offer, o])
        self.score = np.concatenate([self.score, score])

    def _add_rows(
        self,
        row: np.ndarray,
        keys: np.ndarray,
        cap: np.ndarray,
        columns: np.ndarray,
        values: np.ndarray,
        column_keys: np.ndarray | None = None,
    ) -> None:
        """Rows ≤ cap for `keys`, with the given entries of columns already in the master."""
        if len(keys) == 0:
            return
        row[keys] = self.rows + np.arange(len(keys))
        self.rows += len(keys)
        if column_keys is None:
            column_keys = np.zeros(0, dtype=np.int64)
        order = np.argsort(row[column_keys], kind="stable")
        count = (
            np.bincount(row[column_keys] - row[keys[0]], minlength=len(keys))
            if len(columns)
            else np.zeros(len(keys), dtype=np.int64)
        )
        self.highs.addRows(
            len(keys),
            np.full(len(keys), -highspy.kHighsInf),
            cap,
            len(columns),
            _starts(count),
            columns[order].astype(np.int32),
            values[order],
        )

    def solve(self, seconds: float) -> bool:
        """Solve from the last basis; False if HiGHS did not reach the optimum in time."""
        if len(self) == 0:
            return True
        self.highs.setOptionValue("time_limit", max(0.05, seconds))
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        self.solved_values = np.clip(np.asarray(self.highs.getSolution().col_value), 0.0, 1.0)
        return True

    def prices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dual prices ≥ 0: per request, per offer unit, per provider (per stake unit)."""
        if len(self) == 0:
            return tuple(np.zeros(len(row)) for row in self.row)
        dual = np.maximum(0.0, -np.asarray(self.highs.getSolution().row_dual))
        request, offer, provider = (np.where(row >= 0, dual[np.maximum(row, 0)], 0.0) for row in self.row)
        return request, offer, provider / self.stake_scale

    def values(self) -> np.ndarray:
        """Each pair's value in the last optimum; pairs added since then are at 0 in it."""
        return np.concatenate([self.solved_values, np.zeros(len(self) - len(self.solved_values))])

    def objective(self) -> float:
        return float(self.score @ self.values())


class _Masters:
    """One master per shard: offers of GPU models that no provider links, so their masters share no row.

    A request belongs to the shard of the best pair it first gets; pairs of
    other shards are not added (so with more than one shard the relaxation is
    that of a restricted market, and the bound, still proven, need not meet
    it). Several smaller masters solve much faster than one large one.
    """

    def __init__(self, requests: RequestBook, offers: OfferBook, providers: ProviderBook, shard: bool):
        self.units_cap = integer_capacities(offers, providers)[0]
        self.n_offers = len(offers)
        self.shard = _model_shards(offers, len(providers)) if shard else np.zeros(len(offers), dtype=np.int64)
        self.home = np.full(len(requests), -1)
        self.known = np.zeros(0, dtype=np.int64)  # sorted keys (request · offers + offer) of the pairs in a master
        self.masters = [_Master(requests, offers, providers) for _ in range(int(self.shard.max(initial=0)) + 1)]

    def __len__(self) -> int:
        return sum(len(m) for m in self.masters)

    def pairs(self) -> Candidates:
        return Candidates(
            *(np.concatenate([getattr(m, f) for m in self.masters]) for f in ("request", "offer", "score"))
        )

    def add(self, r: np.ndarray, o: np.ndarray, score: np.ndarray) -> None:
        order = np.lexsort((-score, r))
        first = order[np.r_[True, r[order][1:] != r[order][:-1]]]
        homeless = first[self.home[r[first]] < 0]
        self.home[r[homeless]] = self.shard[o[homeless]]
        for index, master in enumerate(self.masters):
            mine = (self.shard[o] == index) & (self.home[r] == index)
            if mine.any():
                master.add(r[mine], o[mine], score[mine])
                self.known = np.sort(np.concatenate([self.known, r[mine] * self.n_offers + o[mine]]))

    def may_add(self, r: np.ndarray, o: np.ndarray) -> np.ndarray:
        """Mask: pairs not in a master yet, in their request's shard (or of a request with none yet)."""
        key = r * self.n_offers + o
        at = np.minimum(np.searchsorted(self.known, key), max(len(self.known) - 1, 0))
        known = self.known[at] == key if len(self.known) else np.zeros(len(key), dtype=bool)
        return ~known & ((self.home[r] < 0) | (self.home[r] == self.shard[o]))

    def solve(self, seconds: float) -> bool:
        started = time.monotonic()
        return all(m.solve(seconds - (time.monotonic() - started)) for m in self.masters)

    def prices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Each master's prices are 0 outside its own rows, and no row is in two masters.
        return tuple(sum(parts) for parts in zip(*(m.prices() for m in self.masters)))

    def values(self) -> np.ndarray:
        return np.concatenate([m.values() for m in self.masters])

    def objective(self) -> float:
        return sum(m.objective() for m in self.masters)


def _model_shards(offers: OfferBook, n_providers: int) -> np.ndarray:
    """Each offer's shard: GPU models linked by a provider holding offers of both fall in one shard."""
    models, model_of = np.unique(offers.gpu_model, return_inverse=True)
    model_of = model_of.reshape(-1)
    links = sparse.coo_array(
        (np.ones(len(offers)), (model_of, len(models) + offers.provider)), shape=(len(models) + n_providers,) * 2
    )
    _, label = connected_components(links, directed=False)
    _, shard = np.unique(label[model_of], return_inverse=True)
    return shard.reshape(-1)


def _starts(count: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int32)


def relax(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    top_k: int,
    add_k: int,
    max_rounds: int,
    deadline: float,
    shard: bool = False,
    pool_k: int = 0,
    pool: Candidates | None = None,
) -> Relaxation | None:
    """The relaxation over every feasible pair by column generation; None if the first master did not solve in time.

    Starts from each request's `top_k` best pairs; each round prices every
    feasible pair and adds each request's `add_k` best of positive reduced
    score, for at most `max_rounds` rounds, until no such pair is left (or
    the bound is within `_RELATIVE_GAP`), or past `deadline` (time.monotonic()).
    The first scoring keeps each request's `max(top_k, pool_k)` best pairs (the
    pool, `_Pool`): pricing reads them from memory and scans every feasible
    pair only for the requests a pair left out of the pool could still gain.
    `pool`: that first scoring, when the caller has it already.
    With `shard`, one master per shard of GPU models (`_Masters`); pairs
    across shards never join, so the bound need not close on the optimum, and
    pricing also stops once a round raises the optimum by less than
    `_RELATIVE_GAP`.
    """
    master = _Masters(requests, offers, providers, shard)
    size = max(top_k, pool_k)
    if pool is None:
        pool = candidates(requests, offers, providers, weights, seed, top_k=size, by_score=True)
    pool = _Pool(pool, len(requests), size)
    if len(pool) == 0:
        return Relaxation(pool.pairs(), np.zeros(0), 0.0, 0.0, 0)
    master.add(*pool.best(top_k))
    bound: float | None = None
    rounds = 0
    objective: float | None = None  # the master's last optimum
    prices = None
    while True:
        if not master.solve(deadline - time.monotonic()):
            break
        w, unit, stake = prices = master.prices()
        cost = unit + offers.collateral_per_unit.astype(np.float64) * stake[offers.provider]
        tailing = (
            shard and objective is not None and master.objective() - objective <= _RELATIVE_GAP * max(objective, 1.0)
        )
        objective = master.objective()
        if rounds >= max_rounds or time.monotonic() >= deadline or tailing:
            break
        rounds += 1
        r, o, score, cover = _price(requests, offers, providers, weights, seed, add_k, pool, cost, w)
        # Weak duality: with w raised to each request's best reduced score over every feasible
        # pair (`_price` covers them all), (w, u, v) is feasible for the dual of the whole market.
        found = float(cover.sum() + unit @ master.units_cap + stake @ integer_capacities(offers, providers)[1])
        bound = found if bound is None else min(bound, found)
        better = master.may_add(r, o)
        if not better.any() or bound - objective <= _RELATIVE_GAP * max(bound, 1.0):
            break
        master.add(r[better], o[better], score[better])
    if objective is None:
        return None
    return Relaxation(master.pairs(), master.values(), objective, bound, rounds, prices)


class _Pool:
    """Each request's best pairs by score from the first scoring, and a score no pair left out of them exceeds."""

    def __init__(self, found: Candidates, n_requests: int, size: int):
        """`found`: each request's `size` best pairs from `candidates(..., by_score=True)`, best first."""
        self.request, self.offer, self.score = found.request, found.offer, found.score
        self.start = np.searchsorted(self.request, np.arange(n_requests))
        self.count = np.bincount(self.request, minlength=n_requests)
        self.rank = np.arange(len(self.request)) - self.start[self.request]
        # `candidates` keeps a full list's `size` best exactly, so any pair left out scores at most its last;
        # a list shorter than `size` holds every feasible pair of its request.
        full = self.count >= size
        self.cutoff = np.full(n_requests, -np.inf)
        self.cutoff[full] = self.score[self.start[full] + size - 1]

    def __len__(self) -> int:
        return len(self.request)

    def pairs(self) -> Candidates:
        return Candidates(self.request, self.offer, self.score)

    def best(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        top = self.rank < k
        return self.request[top], self.offer[top], self.score[top]


def _price(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    add_k: int,
    pool: _Pool,
    cost: np.ndarray,
    w: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each request's `add_k` best pairs of reduced score above w[r] + `_REDUCED_SCORE_MIN`, and the cover.

    The cover is, per request, at least w[r] and at least the reduced score of
    every feasible pair of it. A pair outside the pool scores at most the
    request's cutoff, and its reduced score is no more (unit costs are ≥ 0);
    so a request whose cutoff is at most w[r] is priced over its pool alone,
    and every other request by `candidates` over every feasible pair.
    """
    units = requests.units.astype(np.float64)
    # The pool's part in one compiled pass (`kernels.pool_pricing`): the cover, the requests to scan, and each
    # other request's add_k best pool pairs by reduced score, request by request, best first.
    cover, scan, gain = pool_pricing(
        np.ascontiguousarray(pool.start, dtype=np.int64),
        np.ascontiguousarray(pool.count, dtype=np.int64),
        np.ascontiguousarray(pool.offer, dtype=np.int64),
        np.ascontiguousarray(pool.score, dtype=np.float64),
        units,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(w, dtype=np.float64),
        np.ascontiguousarray(pool.cutoff, dtype=np.float64),
        max(int(add_k), 0),
        _REDUCED_SCORE_MIN,
    )
    rows = np.flatnonzero(scan)
    if len(rows):
        priced = candidates(
            select_rows(requests, rows),
            offers,
            providers,
            weights,
            seed,
            top_k=add_k,
            unit_cost=cost,
            threshold=w[rows],
        )
        scanned_r = rows[priced.request]
        scanned_reduced = priced.score - units[scanned_r] * cost[priced.offer]
        np.maximum.at(cover, scanned_r, scanned_reduced)
        keep = scanned_reduced > w[scanned_r] + _REDUCED_SCORE_MIN
        scanned_r, scanned_o, scanned_s = scanned_r[keep], priced.offer[keep], priced.score[keep]
    else:
        scanned_r = scanned_o = np.zeros(0, dtype=np.int64)
        scanned_s = np.zeros(0)
    return (
        np.concatenate([pool.request[gain], scanned_r]),
        np.concatenate([pool.offer[gain], scanned_o]),
        np.concatenate([pool.score[gain], scanned_s]),
        cover,
    )
