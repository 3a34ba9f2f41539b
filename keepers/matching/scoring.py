"""Feasibility and scores of (request, offer) pairs, vectorised with NumPy.

Feasibility mirrors the registry's on-chain check (`ProviderRegistry.checkMatch`)
so the matcher proposes only pairs the chain will accept at the block it read.
The score follows Spheron's matching factors; see docs/matching.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

import numpy as np
from eth_hash.auto import keccak
from numba import njit, prange

from .book import OfferBook, ProviderBook, RequestBook
from .kernels import renamed  # (importing kernels sets OpenMP's wait policy before the loops below start threads)

BPS = 10_000
# Pairs' slots the parallel scan of `_top_k_rows` fills at a time (rows x k): 24 MB.
_SLAB_PAIRS = 1 << 20
# A group of this many requests is scanned on every core (`_top_k_rows_parallel`), a smaller one in one thread.
PARALLEL_ROWS = 32


@dataclass(frozen=True)
class Weights:
    """Weight of each factor; each factor lies in [0, 1]. A match is worth `match` plus the rest."""

    match: float = 1.0
    price: float = 0.30
    region: float = 0.05
    uptime: float = 0.15
    reputation: float = 0.15
    capacity: float = 0.05
    slash_rate: float = 0.15
    stake: float = 0.05
    randomness: float = 0.10

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not (isinstance(value, (int, float)) and 0 <= value <= 100):
                raise ValueError(f"matching weight {item.name} must be a number in [0, 100], got {value!r}")


@dataclass(frozen=True)
class Candidates:
    """Feasible pairs: parallel arrays of request row, offer row and score."""

    request: np.ndarray
    offer: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.request)


def seed_from_block_hash(block_hash: bytes) -> int:
    """The randomness seed of a batch: 64 bits of keccak(block hash), so a batch can be replayed."""
    return int.from_bytes(keccak(b"leasehold-matcher" + bytes(block_hash))[:8], "big")


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective, well-mixed hash of uint64 values."""
    z = values.astype(np.uint64)  # a copy: the steps below work in place
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def _request_keys(seed: int, request_ids: np.ndarray) -> np.ndarray:
    return np.uint64(seed) ^ _mix64(request_ids)


def _offer_keys(offer_ids: np.ndarray) -> np.ndarray:
    return offer_ids.astype(np.uint64) << np.uint64(1)


def _unit_interval(keys: np.ndarray) -> np.ndarray:
    mixed = _mix64(keys)
    mixed >>= np.uint64(11)
    return mixed.astype(np.float64) / float(1 << 53)


def pair_randomness(seed: int, request_ids: np.ndarray, offer_ids: np.ndarray) -> np.ndarray:
    """A uniform number in [0, 1) per pair, a function of (seed, request id, offer id) only."""
    return _unit_interval(_request_keys(seed, request_ids) ^ _offer_keys(offer_ids))


# Salt of `requests_drawn`'s hash, so its draws are not the score's randomness.
_DRAW_SALT = 0x5EED_D2A7


def candidates(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    top_k: int = 32,
    unit_cost: np.ndarray | None = None,
    threshold: np.ndarray | None = None,
    by_score: bool = False,
) -> Candidates:
    """Each request's `top_k` best feasible offers, scored; sorted by (request row, offer row).

    Sharded and pruned before anything is scored (docs/matching.md, "Candidates"):
    requests are grouped by what they ask for (a model, or a minimum vRAM for
    any model, and a region or any), and a group meets only the offers of that
    model and region (its pool), sorted by price. Each request scans the prefix
    of the pool it can afford in a numba loop (`_top_k_rows`) that keeps its
    best `top_k` so far and stops at the first offer whose score could not
    make them any more (the score falls with the price); a pair is checked and
    hashed only if its score without the randomness could. Of pairs tied at
    the k-th place (equal scores, as with a zero randomness weight), the
    cheaper (earlier in the pool) is kept.

    Pricing (column generation, docs/matching.md "The assignment"): with
    `unit_cost` (per offer row) a pair is ranked by its reduced score, its
    score less the request's units times the offer's unit cost, and with
    `threshold` (per request row) only pairs whose reduced score exceeds the
    request's threshold are kept. The scores returned are the pairs' own.

    With `by_score`, the pairs are sorted by request row and then best first
    (by score, or by reduced score when pricing), which spares a sort of every
    pair to a caller that wants each request's best.
    """
    if len(requests) == 0 or len(offers) == 0 or top_k < 1:
        return _no_candidates()
    facts = _OfferFacts.of(offers, providers, weights)
    rows_of = _RowFacts.of(requests, weights, seed, threshold)
    cols_of = _ColumnFacts.of(offers, facts, unit_cost)
    by_price = np.argsort(offers.price, kind="stable")
    any_vram = np.where(requests.gpu_model == 0, requests.min_vram, 0)
    keys, group_of = np.unique(
        np.stack([requests.gpu_model, any_vram, requests.region], axis=1), axis=0, return_inverse=True
    )
    group_of = group_of.reshape(-1)
    picked: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # Gathered in price order once, not per group (70 groups of 100,000 offers: 20 million reads a call).
    model_by_price, vram_by_price, region_by_price = (
        offers.gpu_model[by_price],
        offers.vram[by_price],
        offers.region[by_price],
    )
    for group, (model, min_vram, region) in enumerate(keys):
        model_ok = model_by_price == model if model != 0 else vram_by_price >= min_vram
        region_ok = (region_by_price == region) if region != 0 else True
        pool = by_price[model_ok & region_ok]
        rows = np.flatnonzero(group_of == group)
        pool = pool[facts.may_serve(offers, pool, requests, rows)]
        if len(pool) == 0:
            continue
        scan = _top_k_rows_parallel if len(rows) >= PARALLEL_ROWS else _top_k_rows
        row, col, score = scan(
            *rows_of.take(rows),
            np.searchsorted(offers.price[pool], requests.max_price[rows], side="right"),
            *cols_of.take(pool),
            float(weights.stake),
            float(weights.randomness),
            min(top_k, len(pool)),
        )
        picked.append((rows[row], pool[col], score))
    if not picked:
        return _no_candidates()
    r, o, s = (np.concatenate(parts) for parts in zip(*picked))
    # Each request's pairs come from one group, best first: a stable sort by request keeps that order.
    order = np.argsort(r, kind="stable") if by_score else np.lexsort((o, r))
    return Candidates(r[order], o[order], s[order])


def _no_candidates() -> Candidates:
    empty = np.zeros(0, dtype=np.int64)
    return Candidates(empty, empty, np.zeros(0))


@dataclass(frozen=True)
class _OfferFacts:
    """Per-offer columns that feasibility and the score read, gathered once per batch."""

    address: np.ndarray  # the provider's address code
    reputation: np.ndarray
    free_stake: np.ndarray
    quality: np.ndarray  # the factors that depend on the offer alone, weighted

    @classmethod
    def of(cls, offers: OfferBook, providers: ProviderBook, weights: Weights) -> _OfferFacts:
        p = offers.provider
        slashes = providers.slash_count.astype(np.float64)
        slash_rate = 1.0 - slashes / (slashes + providers.completed + 1.0)
        quality = (
            weights.uptime * (providers.uptime / BPS)[p]
            + weights.reputation * (providers.reputation / BPS)[p]
            + weights.capacity * (offers.free_units / np.maximum(offers.units, 1))
            + weights.slash_rate * slash_rate[p]
        )
        return cls(providers.address[p], providers.reputation[p], providers.free_stake[p], quality)

    def may_serve(self, offers: OfferBook, cols: np.ndarray, requests: RequestBook, rows: np.ndarray) -> np.ndarray:
        """Mask over `cols`: offers that meet the weakest demand of `rows` in every respect.

        A necessary condition for any pair of the rows, so it drops no feasible pair.
        """
        fewest = requests.units[rows].min()
        return (
            (offers.free_units[cols] >= fewest)
            & (self.free_stake[cols] >= fewest * offers.collateral_per_unit[cols])
            & (self.reputation[cols] >= requests.min_reputation[rows].min())
            & (offers.tier[cols] >= requests.min_tier[rows].min())
            & (offers.max_duration[cols] >= requests.duration[rows].min())
        )


@dataclass(frozen=True)
class _RowFacts:
    """Per-request columns `_top_k_rows` reads: the score's row terms and every demand, as arrays of one dtype each.

    The score is rearranged as row terms times column terms (docs/matching.md,
    "The score"): w.price · (1 − price / maxPrice) is w.price − (w.price /
    maxPrice) · price, and the stake factor is min(1, (freeStake / 4 ·
    collateral) / units).
    """

    columns: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, requests: RequestBook, weights: Weights, seed: int, threshold) -> _RowFacts:
        n = len(requests)
        jobs = requests.job_steps is not None
        return cls(
            (
                _ints(requests.units),
                requests.units.astype(np.float64),
                _floats(requests.max_price),
                weights.match + weights.price + weights.region * np.where(requests.region == 0, 0.5, 1.0),
                weights.price / np.maximum(requests.max_price.astype(np.float64), 1.0),
                _request_keys(seed, requests.ids),
                _ints(requests.tenant),
                _ints(requests.min_tier),
                _ints(requests.min_reputation),
                _ints(requests.duration),
                _ints(requests.excluded) if requests.excluded is not None else np.zeros(n, dtype=np.int64),
                np.full(n, requests.excluded is not None),
                _ints(requests.job_steps) if jobs else np.zeros(n, dtype=np.int64),
                _ints(requests.job_timeout) if jobs else np.zeros(n, dtype=np.int64),
                _floats(requests.job_collateral) if jobs else np.zeros(n),
                np.full(n, -np.inf) if threshold is None else _floats(threshold),
            )
        )

    def take(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.ascontiguousarray(column[rows]) for column in self.columns)


@dataclass(frozen=True)
class _ColumnFacts:
    """Per-offer columns `_top_k_rows` reads, gathered in a pool's order by `take`."""

    columns: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, offers: OfferBook, facts: _OfferFacts, unit_cost) -> _ColumnFacts:
        m = len(offers)
        collateral = 4.0 * offers.collateral_per_unit.astype(np.float64)
        takes_jobs = offers.job_rate is not None
        return cls(
            (
                _floats(offers.price),
                offers.price.astype(np.float64),
                _floats(facts.quality),
                facts.free_stake / np.maximum(collateral, np.finfo(np.float64).tiny),
                np.zeros(m) if unit_cost is None else _floats(unit_cost),
                _offer_keys(offers.ids),
                _ints(facts.address),
                _ints(offers.tier),
                _ints(facts.reputation),
                _ints(offers.max_duration),
                _ints(offers.free_units),
                _floats(facts.free_stake),
                _floats(offers.collateral_per_unit),
                np.full(m, takes_jobs),
                _ints(offers.job_rate) if takes_jobs else np.zeros(m, dtype=np.int64),
                _ints(offers.job_setup) if takes_jobs else np.zeros(m, dtype=np.int64),
            )
        )

    def take(self, pool: np.ndarray) -> tuple[np.ndarray, ...]:
        """The columns in the pool's order, and the best quality of each offer and those after it."""
        taken = tuple(np.ascontiguousarray(column[pool]) for column in self.columns)
        return *taken, np.ascontiguousarray(np.maximum.accumulate(taken[2][::-1])[::-1])


def _ints(values) -> np.ndarray:
    return np.asarray(values).astype(np.int64, copy=False)


def _floats(values) -> np.ndarray:
    return np.asarray(values).astype(np.float64, copy=False)


_MIX_30, _MIX_27, _MIX_31, _MANTISSA = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_MIX_A, _MIX_B = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_UNIT = float(1 << 53)


@njit(cache=True)
def _hash_unit(key):
    """`_unit_interval` of one key: splitmix64's finaliser, its top 53 bits as a number in [0, 1)."""
    z = key ^ (key >> _MIX_30)
    z = z * _MIX_A
    z = z ^ (z >> _MIX_27)
    z = z * _MIX_B
    z = z ^ (z >> _MIX_31)
    return float(z >> _MANTISSA) / _UNIT


@njit(cache=True)
def _worse(value_a, col_a, value_b, col_b) -> bool:
    """Pair a ranks below pair b: a lower value, or the same value further down the pool (dearer)."""
    return value_a < value_b or (value_a == value_b and col_a > col_b)


@njit(cache=True)
def _sift_down(values, cols, scores, n, at) -> None:
    """Restores the heap (its worst pair at the root) below `at`."""
    while True:
        child = 2 * at + 1
        if child >= n:
            return
        if child + 1 < n and _worse(values[child + 1], cols[child + 1], values[child], cols[child]):
            child += 1
        if not _worse(values[child], cols[child], values[at], cols[at]):
            return
        values[at], values[child] = values[child], values[at]
        cols[at], cols[child] = cols[child], cols[at]
        scores[at], scores[child] = scores[child], scores[at]
        at = child


@njit(cache=True)
def _pair_feasible(
    units,
    max_price,
    tenant,
    min_tier,
    min_reputation,
    duration,
    excluded,
    has_excluded,
    job_steps,
    job_timeout,
    job_collateral,
    price,
    address,
    tier,
    reputation,
    max_duration,
    free_units,
    free_stake,
    collateral,
    takes_jobs,
    job_rate,
    job_setup,
) -> bool:
    """The registry's constraints (ProviderRegistry.checkMatch, and checkJobPolicy for a JOB) for one request's
    demands (units to excluded; the job's steps, timeout and collateral) against one offer's supply.

    Scalars, not arrays: a call with arrays costs more than the check. Model and region hold for the whole pool,
    so they are not checked here.
    """
    if not (
        address != tenant
        and tier >= min_tier
        and reputation >= min_reputation
        and price <= max_price
        and duration <= max_duration
        and units <= free_units
        and free_stake >= units * collateral
    ):
        return False
    if has_excluded and address == excluded:
        return False  # a re-opened request: the chain skips its failed provider's offers
    if job_steps == 0:
        return True
    if not takes_jobs:
        return False
    # ProviderRegistry.checkJobPolicy: setup plus the steps at the offer's throughput within the timeout.
    per_second = max(job_rate, 1)
    needed = job_setup + (job_steps + per_second - 1) // per_second
    return job_rate > 0 and needed <= job_timeout and free_stake >= job_collateral


def _top_k_rows_loop(
    units,
    units_f,
    max_price,
    row_part,
    price_weight,
    request_key,
    tenant,
    min_tier,
    min_reputation,
    duration,
    excluded,
    has_excluded,
    job_steps,
    job_timeout,
    job_collateral,
    threshold,
    affordable,
    price,
    price_f,
    quality,
    stake_per_unit,
    unit_cost,
    offer_key,
    address,
    tier,
    reputation,
    max_duration,
    free_units,
    free_stake,
    collateral,
    takes_jobs,
    job_rate,
    job_setup,
    quality_after,
    w_stake,
    w_randomness,
    k,
):
    """Each row's k best feasible columns of its affordable prefix of the pool: (row, column, score), best first.

    A row's best k so far are a heap whose root is the worst of them. The score
    without the randomness (and less units · unit cost when pricing) plus the
    whole randomness weight bounds a pair's value from above, so a pair whose
    bound does not pass the root (or the row's threshold) is skipped before
    its constraints are checked or its randomness hashed; and since that
    bound falls as the price rises, the first column whose bound, with the
    best quality of the pool from there on, does not pass ends the row's scan. Every sum is
    done in the order of the NumPy block scoring it replaced, so the scores
    are the same to the bit.
    """
    n_rows = len(units_f)
    cheapest_cost = min(unit_cost.min(), 0.0) if len(unit_cost) > 0 else 0.0
    size = max(16, min(n_rows * k, 1 << 20))
    out_row = np.empty(size, dtype=np.int64)
    out_col = np.empty(size, dtype=np.int64)
    out_score = np.empty(size)
    n_out = 0
    # Rows are scanned a chunk at a time, in parallel (`prange`), each into its own k slots of a slab; the
    # slabs are then copied out in row order, so the result does not depend on the threads.
    chunk = max(1, min(n_rows, _SLAB_PAIRS // k))
    slab_value = np.empty(chunk * k)
    slab_col = np.empty(chunk * k, dtype=np.int64)
    slab_score = np.empty(chunk * k)
    slab_n = np.zeros(chunk, dtype=np.int64)
    for first in range(0, n_rows, chunk):
        rows_here = min(chunk, n_rows - first)
        for j in prange(rows_here):
            i = first + j
            kept_value = slab_value[j * k : (j + 1) * k]
            kept_col = slab_col[j * k : (j + 1) * k]
            kept_score = slab_score[j * k : (j + 1) * k]
            n = 0
            limit = threshold[i]
            top = w_stake + row_part[i]
            least_cost = units_f[i] * cheapest_cost
            for c in range(affordable[i]):
                price_term = price_weight[i] * price_f[c]
                if ((top + quality_after[c]) - price_term) - least_cost + w_randomness <= limit:
                    break  # no pair further down the pool can pass either
                partial = min(1.0, stake_per_unit[c] / units_f[i]) * w_stake
                partial = partial + row_part[i]
                partial = partial + quality[c]
                partial = partial - price_term
                rank = partial - units_f[i] * unit_cost[c]
                if rank + w_randomness <= limit:
                    continue
                if not _pair_feasible(
                    units[i],
                    max_price[i],
                    tenant[i],
                    min_tier[i],
                    min_reputation[i],
                    duration[i],
                    excluded[i],
                    has_excluded[i],
                    job_steps[i],
                    job_timeout[i],
                    job_collateral[i],
                    price[c],
                    address[c],
                    tier[c],
                    reputation[c],
                    max_duration[c],
                    free_units[c],
                    free_stake[c],
                    collateral[c],
                    takes_jobs[c],
                    job_rate[c],
                    job_setup[c],
                ):
                    continue
                noise = w_randomness * _hash_unit(request_key[i] ^ offer_key[c])
                value = rank + noise
                if value <= threshold[i]:
                    continue
                if n < k:
                    kept_value[n], kept_col[n], kept_score[n] = value, c, partial + noise
                    at = n
                    n += 1
                    while at > 0:  # sift up
                        parent = (at - 1) // 2
                        if not _worse(kept_value[at], kept_col[at], kept_value[parent], kept_col[parent]):
                            break
                        kept_value[at], kept_value[parent] = kept_value[parent], kept_value[at]
                        kept_col[at], kept_col[parent] = kept_col[parent], kept_col[at]
                        kept_score[at], kept_score[parent] = kept_score[parent], kept_score[at]
                        at = parent
                elif _worse(kept_value[0], kept_col[0], value, c):
                    kept_value[0], kept_col[0], kept_score[0] = value, c, partial + noise
                    _sift_down(kept_value, kept_col, kept_score, n, 0)
                if n == k:
                    limit = max(threshold[i], kept_value[0])
            # Best first, in place (a heap sort): the root (the worst left) goes last.
            for at in range(n - 1, 0, -1):
                kept_value[0], kept_value[at] = kept_value[at], kept_value[0]
                kept_col[0], kept_col[at] = kept_col[at], kept_col[0]
                kept_score[0], kept_score[at] = kept_score[at], kept_score[0]
                _sift_down(kept_value, kept_col, kept_score, at, 0)
            slab_n[j] = n
        here = 0
        for j in range(rows_here):
            here += slab_n[j]
        if n_out + here > size:
            size = max(2 * size, n_out + here)
            out_row = _grown(out_row, size)
            out_col = _grown(out_col, size)
            out_score = _grown(out_score, size)
        for j in range(rows_here):
            for at in range(slab_n[j]):
                out_row[n_out] = first + j
                out_col[n_out] = slab_col[j * k + at]
                out_score[n_out] = slab_score[j * k + at]
                n_out += 1
    return out_row[:n_out], out_col[:n_out], out_score[:n_out]


# One loop, compiled twice: groups of few requests skip the threads' start-up (at 1,000 x 10,000 the
# region-fragmented shape's 300-odd small groups took 0.09 s in parallel against 0.02 s in one thread).
_top_k_rows = njit(cache=True)(renamed(_top_k_rows_loop, "_top_k_rows"))
_top_k_rows_parallel = njit(cache=True, parallel=True)(renamed(_top_k_rows_loop, "_top_k_rows_parallel"))


@njit(cache=True)
def _grown(values, size):
    grown = np.empty(size, dtype=values.dtype)
    grown[: len(values)] = values
    return grown


def warm_up() -> float:
    """Compiles `_top_k_rows`, `_top_k_rows_parallel` and `_drawn_pairs` (or loads them from numba's cache) on a
    tiny market: the seconds it took.

    Every call passes the same array types (int64, float64, uint64, bool), so one compilation serves all.
    """
    started = time.perf_counter()
    one = np.ones(1, dtype=np.int64)
    requests = RequestBook(one, one * 2, one, one * 0, one, one * 0, one * 0, one * 0, np.ones(1), one * 60)
    offers = OfferBook(one, one * 0, one, one * 80, one, one, np.ones(1) / 2, one * 3_600, one * 2, one * 2, np.ones(1))
    providers = ProviderBook(one, np.full(1, 8.0), one * 9_000, one * 9_000, one * 0, one)
    global PARALLEL_ROWS
    threshold = PARALLEL_ROWS
    candidates(requests, offers, providers, Weights(), 0, top_k=2)  # the serial loop
    try:
        PARALLEL_ROWS = 0
        candidates(requests, offers, providers, Weights(), 0, top_k=2)  # the parallel one
    finally:
        PARALLEL_ROWS = threshold
    # The covering pairs' draw (`auction._cover`): left to the first batch, it cost that batch a second.
    requests_drawn(
        requests, offers, providers, Weights(), 0, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), 2
    )
    return time.perf_counter() - started


def requests_drawn(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    rows: np.ndarray,
    cols: np.ndarray,
    k: int,
) -> Candidates:
    """Per offer row of `cols`, about `k` of the request rows `rows` that it can serve, drawn at random, scored.

    The requests must name the offers' model (the caller's rows and columns
    share one); region and every constraint of `_pair_feasible` are checked here.
    Each feasible request is kept with probability k / the offer's feasible
    requests (all of them where those are k or fewer), by a hash of (seed,
    request id, offer id) apart from the score's randomness, so each offer
    gets requests of every kind, not the few every offer ranks first.
    Sorted by offer, then request.
    """
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if len(rows) == 0 or len(cols) == 0 or k < 1:
        return _no_candidates()
    facts = _OfferFacts.of(offers, providers, weights)
    i, j = _drawn_pairs(
        _RowFacts.of(requests, weights, seed, None).take(rows),
        _ColumnFacts.of(offers, facts, None).take(cols),
        _ints(requests.region[rows]),
        _ints(offers.region[cols]),
        _request_keys(seed ^ _DRAW_SALT, requests.ids[rows]),
        _offer_keys(offers.ids[cols]),
        k,
    )
    r, o = rows[i], cols[j]
    order = np.lexsort((r, o))
    r, o = r[order], o[order]
    return Candidates(r, o, pair_scores(requests, r, offers, o, facts, weights, seed))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _drawn_pairs_loop(rows, cols, request_region, offer_region, draw_keys, offer_keys, k):
    """`requests_drawn`'s draw: (request index, offer index) into the rows and columns given, offer by offer.

    Each feasible request with probability k / (the offer's feasible requests), by one multiply of the two
    keys (high bits kept): about k per offer, every one where it has no more than k, without a sort. Offers
    a chunk at a time, in parallel (`prange`), each drawing into its own row of a slab; the rows are copied
    out in offer order, so the draw does not depend on the threads.
    """
    (units, _, max_price, _, _, _, tenant, min_tier, min_reputation, duration, excluded, has_excluded) = rows[:12]
    job_steps, job_timeout, job_collateral = rows[12:15]
    (price, _, _, _, _, _, address, tier, reputation, max_duration, free_units, free_stake, collateral) = cols[:13]
    takes_jobs, job_rate, job_setup = cols[13:16]
    n_rows, n_cols = len(draw_keys), len(offer_keys)
    size = max(16, min(n_cols * (k + 8), 1 << 20))
    out_row = np.empty(size, dtype=np.int64)
    out_col = np.empty(size, dtype=np.int64)
    n_out = 0
    chunk = max(1, min(n_cols, _SLAB_PAIRS // max(n_rows, 1)))
    ok = np.empty((chunk, max(n_rows, 1)), dtype=np.bool_)
    drawn = np.empty((chunk, max(n_rows, 1)), dtype=np.int64)
    n_drawn = np.zeros(chunk, dtype=np.int64)
    for first in range(0, n_cols, chunk):
        cols_here = min(chunk, n_cols - first)
        for j in prange(cols_here):
            c = first + j
            count = 0
            for i in range(n_rows):
                region = request_region[i]
                ok[j, i] = (region == 0 or region == offer_region[c]) and _pair_feasible(
                    units[i],
                    max_price[i],
                    tenant[i],
                    min_tier[i],
                    min_reputation[i],
                    duration[i],
                    excluded[i],
                    has_excluded[i],
                    job_steps[i],
                    job_timeout[i],
                    job_collateral[i],
                    price[c],
                    address[c],
                    tier[c],
                    reputation[c],
                    max_duration[c],
                    free_units[c],
                    free_stake[c],
                    collateral[c],
                    takes_jobs[c],
                    job_rate[c],
                    job_setup[c],
                )
                count += ok[j, i]
            bar = (k / max(count, 1)) * _UNIT
            m = 0
            for i in range(n_rows):
                if ok[j, i] and float(((draw_keys[i] ^ offer_keys[c]) * _GOLDEN) >> _MANTISSA) < bar:
                    drawn[j, m] = i
                    m += 1
            n_drawn[j] = m
        here = 0
        for j in range(cols_here):
            here += n_drawn[j]
        if n_out + here > size:
            size = max(2 * size, n_out + here)
            out_row = _grown(out_row, size)
            out_col = _grown(out_col, size)
        for j in range(cols_here):
            for m in range(n_drawn[j]):
                out_row[n_out], out_col[n_out] = drawn[j, m], first + j
                n_out += 1
    return out_row[:n_out], out_col[:n_out]


# Serial and parallel, as `_top_k_rows`: the cover draws for a few thousand offers at once (parallel), and
# `test_parallel.py` holds the parallel draw to the serial one.
_drawn_pairs_serial = njit(cache=True)(renamed(_drawn_pairs_loop, "_drawn_pairs_serial"))
_drawn_pairs = njit(cache=True, parallel=True)(renamed(_drawn_pairs_loop, "_drawn_pairs"))


def pair_scores(
    requests: RequestBook,
    r: np.ndarray,
    offers: OfferBook,
    o: np.ndarray,
    facts: _OfferFacts,
    weights: Weights,
    seed: int,
) -> np.ndarray:
    """The full score of the pairs (r[i], o[i]), 1-D: the terms of `_top_k_rows` plus the randomness."""
    row_part = weights.match + weights.price + weights.region * np.where(requests.region[r] == 0, 0.5, 1.0)
    price_weight = weights.price / np.maximum(requests.max_price[r].astype(np.float64), 1.0)
    collateral = 4.0 * offers.collateral_per_unit[o].astype(np.float64)
    stake_per_unit = facts.free_stake[o] / np.maximum(collateral, np.finfo(np.float64).tiny)
    score = weights.stake * np.minimum(1.0, stake_per_unit / requests.units[r])
    score += row_part + facts.quality[o] - price_weight * offers.price[o].astype(np.float64)
    return score + weights.randomness * pair_randomness(seed, requests.ids[r], offers.ids[o])
