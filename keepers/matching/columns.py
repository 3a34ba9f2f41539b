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

import numpy as np
import highspy
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .book import OfferBook, ProviderBook, RequestBook
from .scoring import Candidates, Weights, candidates

# A pair joins the master only if its reduced score exceeds this: HiGHS's dual tolerance is 1e-7,
# so pairs already in the master can price a hair above zero.
_REDUCED_SCORE_MIN = 1e-6
# Pricing stops once the bound is within this share of the master's optimum.
_RELATIVE_GAP = 1e-4


@dataclass(frozen=True)
class Relaxation:
    """The master's pairs with their relaxed values, its optimum and a proven bound over every feasible pair."""

    candidates: Candidates
    value: np.ndarray  # each pair's value in the master's optimum, in [0, 1]
    objective: float  # the master's optimum
    bound: float | None  # proven upper bound on the optimum over every feasible pair; None if no pricing ran
    rounds: int  # pricing rounds run


class _Master:
    """The restricted master as one HiGHS model, with rows added as pairs arrive.

    A request's row exists once it has a pair; an offer's or provider's only
    once its pairs together could exceed its capacity (a row that can never bind
    only slows the simplex; its price is 0). Each provider's stake row is
    divided by its free stake, so token amounts stay within what HiGHS accepts.
    """

    def __init__(self, requests: RequestBook, offers: OfferBook, providers: ProviderBook):
        self.requests, self.offers = requests, offers
        self.units_cap = offers.free_units.astype(np.float64)
        self.stake_scale = np.maximum(providers.free_stake.astype(np.float64), 1.0)
        self.stake_cap = providers.free_stake.astype(np.float64) / self.stake_scale
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
        self.highs.setOptionValue("output_flag", False)
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
            len(r), -np.asarray(score, dtype=np.float64), np.zeros(len(r)), np.ones(len(r)), int(count.sum()),
            _starts(count), index[present].astype(np.int32), value[present],
        )
        self.request = np.concatenate([self.request, r])
        self.offer = np.concatenate([self.offer, o])
        self.score = np.concatenate([self.score, score])

    def _add_rows(self, row: np.ndarray, keys: np.ndarray, cap: np.ndarray, columns: np.ndarray, values: np.ndarray, column_keys: np.ndarray | None = None) -> None:
        """Rows ≤ cap for `keys`, with the given entries of columns already in the master."""
        if len(keys) == 0:
            return
        row[keys] = self.rows + np.arange(len(keys))
        self.rows += len(keys)
        if column_keys is None:
            column_keys = np.zeros(0, dtype=np.int64)
        order = np.argsort(row[column_keys], kind="stable")
        count = np.bincount(row[column_keys] - row[keys[0]], minlength=len(keys)) if len(columns) else np.zeros(len(keys), dtype=np.int64)
        self.highs.addRows(
            len(keys), np.full(len(keys), -highspy.kHighsInf), cap, len(columns), _starts(count),
            columns[order].astype(np.int32), values[order],
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
        self.units_cap = offers.free_units.astype(np.float64)
        self.n_offers = len(offers)
        self.shard = _model_shards(offers, len(providers)) if shard else np.zeros(len(offers), dtype=np.int64)
        self.home = np.full(len(requests), -1)
        self.masters = [_Master(requests, offers, providers) for _ in range(int(self.shard.max(initial=0)) + 1)]

    def __len__(self) -> int:
        return sum(len(m) for m in self.masters)

    def pairs(self) -> Candidates:
        return Candidates(*(np.concatenate([getattr(m, f) for m in self.masters]) for f in ("request", "offer", "score")))

    def add(self, r: np.ndarray, o: np.ndarray, score: np.ndarray) -> None:
        order = np.lexsort((-score, r))
        first = order[np.r_[True, r[order][1:] != r[order][:-1]]]
        homeless = first[self.home[r[first]] < 0]
        self.home[r[homeless]] = self.shard[o[homeless]]
        for index, master in enumerate(self.masters):
            mine = (self.shard[o] == index) & (self.home[r] == index)
            if mine.any():
                master.add(r[mine], o[mine], score[mine])

    def may_add(self, r: np.ndarray, o: np.ndarray) -> np.ndarray:
        """Mask: pairs not in a master yet, in their request's shard (or of a request with none yet)."""
        pairs = self.pairs()
        known = np.isin(r * self.n_offers + o, pairs.request * self.n_offers + pairs.offer)
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
) -> Relaxation | None:
    """The relaxation over every feasible pair by column generation; None if the first master did not solve in time.

    Starts from each request's `top_k` best pairs; each round prices every
    feasible pair and adds each request's `add_k` best of positive reduced
    score, for at most `max_rounds` rounds, until no such pair is left (or
    the bound is within `_RELATIVE_GAP`), or past `deadline` (time.monotonic()).
    With `shard`, one master per shard of GPU models (`_Masters`); pairs
    across shards never join, so the bound need not close on the optimum, and
    pricing also stops once a round raises the optimum by less than
    `_RELATIVE_GAP`.
    """
    master = _Masters(requests, offers, providers, shard)
    first = candidates(requests, offers, providers, weights, seed, top_k=top_k)
    if len(first) == 0:
        return Relaxation(first, np.zeros(0), 0.0, 0.0, 0)
    master.add(first.request, first.offer, first.score)
    bound: float | None = None
    rounds = 0
    objective: float | None = None  # the master's last optimum
    while True:
        if not master.solve(deadline - time.monotonic()):
            break
        w, unit, stake = master.prices()
        cost = unit + offers.collateral_per_unit.astype(np.float64) * stake[offers.provider]
        tailing = shard and objective is not None and master.objective() - objective <= _RELATIVE_GAP * max(objective, 1.0)
        objective = master.objective()
        if rounds >= max_rounds or time.monotonic() >= deadline or tailing:
            break
        rounds += 1
        priced = candidates(requests, offers, providers, weights, seed, top_k=add_k, unit_cost=cost, threshold=w)
        reduced = priced.score - requests.units[priced.request] * cost[priced.offer]
        # Weak duality: with w raised to each request's best reduced score over every feasible
        # pair (the pricing saw them all), (w, u, v) is feasible for the dual of the whole market.
        cover = np.maximum(w, 0.0)
        np.maximum.at(cover, priced.request, reduced)
        found = float(cover.sum() + unit @ master.units_cap + stake @ providers.free_stake.astype(np.float64))
        bound = found if bound is None else min(bound, found)
        better = (reduced > w[priced.request] + _REDUCED_SCORE_MIN) & master.may_add(priced.request, priced.offer)
        if not better.any() or bound - objective <= _RELATIVE_GAP * max(bound, 1.0):
            break
        master.add(priced.request[better], priced.offer[better], priced.score[better])
    if objective is None:
        return None
    return Relaxation(master.pairs(), master.values(), objective, bound, rounds)
