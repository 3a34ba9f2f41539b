"""Feasibility and scores of (request, offer) pairs, vectorised with NumPy.

Feasibility mirrors the registry's on-chain check (`ProviderRegistry.checkMatch`)
so the matcher proposes only pairs the chain will accept at the block it read.
The score follows Spheron's matching factors; see docs/matching.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from eth_hash.auto import keccak

from .book import OfferBook, ProviderBook, RequestBook

BPS = 10_000


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
# Cells of the (requests x offers) block scored at once: ~16 MB per float64 array.
_BLOCK_CELLS = 1 << 21
# Rows of a block: few enough that they ask alike (rows are sorted by units, then price ceiling),
# so the block's weakest demand prunes the pool almost as well as each row's own.
_BLOCK_ROWS = 32


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
    model and region (its pool), sorted by price. The group's requests are
    sorted by units, then price ceiling, and taken in blocks, so a block meets
    only the prefix of the pool it can afford, further cut by the block's
    weakest demands (fewest units, lowest reputation, tier and duration). What
    is left is checked pair by pair and scored as 2-D NumPy arrays, and each
    request keeps its `top_k`. Of pairs tied at the k-th place (equal scores,
    as with a zero randomness weight), an arbitrary one is kept.

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
    offer_facts = _OfferFacts.of(offers, providers, weights)
    pricing = _Pricing.of(requests, offers, weights, unit_cost, threshold)
    by_price = np.argsort(offers.price, kind="stable")
    any_vram = np.where(requests.gpu_model == 0, requests.min_vram, 0)
    keys, group_of = np.unique(
        np.stack([requests.gpu_model, any_vram, requests.region], axis=1), axis=0, return_inverse=True
    )
    group_of = group_of.reshape(-1)
    picked: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for group, (model, min_vram, region) in enumerate(keys):
        model_ok = offers.gpu_model[by_price] == model if model != 0 else offers.vram[by_price] >= min_vram
        region_ok = (offers.region[by_price] == region) if region != 0 else True
        pool = by_price[model_ok & region_ok]
        if len(pool) == 0:
            continue
        pool_price = offers.price[pool]
        rows = np.flatnonzero(group_of == group)
        rows = rows[np.lexsort((requests.max_price[rows], requests.units[rows]))]
        step = max(1, min(_BLOCK_ROWS, _BLOCK_CELLS // len(pool)))
        for start in range(0, len(rows), step):
            block = rows[start : start + step]
            cols = pool[: np.searchsorted(pool_price, requests.max_price[block].max(), side="right")]
            cols = cols[offer_facts.may_serve(offers, cols, requests, block)]
            if pricing is not None:
                cols = cols[pricing.may_pass(offers, cols, requests, block, offer_facts)]
            if len(cols) == 0:
                continue
            picked.append(_score_block(requests, block, offers, cols, offer_facts, weights, seed, top_k, pricing))
    if not picked:
        return _no_candidates()
    r, o, s = (np.concatenate(parts) for parts in zip(*picked))
    # Each request's pairs come from one block, best first: a stable sort by request keeps that order.
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

    def may_serve(self, offers: OfferBook, cols: np.ndarray, requests: RequestBook, block: np.ndarray) -> np.ndarray:
        """Mask over `cols`: offers that meet the block's weakest demand in every respect.

        A necessary condition for any pair of the block, so it drops no feasible pair.
        """
        fewest = requests.units[block].min()
        return (
            (offers.free_units[cols] >= fewest)
            & (self.free_stake[cols] >= fewest * offers.collateral_per_unit[cols])
            & (self.reputation[cols] >= requests.min_reputation[block].min())
            & (offers.tier[cols] >= requests.min_tier[block].min())
            & (offers.max_duration[cols] >= requests.duration[block].min())
        )


@dataclass(frozen=True)
class _Pricing:
    """What ranks pairs by reduced score: each offer's cost per unit and each request's threshold."""

    unit_cost: np.ndarray  # per offer row, >= 0
    threshold: np.ndarray  # per request row; -inf keeps every pair
    weights: Weights

    @classmethod
    def of(cls, requests: RequestBook, offers: OfferBook, weights: Weights, unit_cost, threshold) -> _Pricing | None:
        if unit_cost is None and threshold is None:
            return None
        return cls(
            np.zeros(len(offers)) if unit_cost is None else np.asarray(unit_cost, dtype=np.float64),
            np.full(len(requests), -np.inf) if threshold is None else np.asarray(threshold, dtype=np.float64),
            weights,
        )

    def may_pass(
        self, offers: OfferBook, cols: np.ndarray, requests: RequestBook, block: np.ndarray, facts: _OfferFacts
    ) -> np.ndarray:
        """Mask over `cols`: offers whose reduced score could exceed the lowest threshold of the block.

        Each term of the score is bounded over the block's rows (the largest
        row part, the smallest price weight, the whole stake and randomness
        weights, the fewest units), so the mask drops no pair that passes.
        """
        w = self.weights
        floor = self.threshold[block].min()
        if floor == -np.inf:
            return np.ones(len(cols), dtype=bool)
        row_part = w.match + w.price + w.region * np.where(requests.region[block] == 0, 0.5, 1.0).max()
        price_weight = (w.price / np.maximum(requests.max_price[block].astype(np.float64), 1.0)).min()
        best = (
            row_part
            + w.stake
            + w.randomness
            + facts.quality[cols]
            - price_weight * offers.price[cols].astype(np.float64)
            - requests.units[block].min() * self.unit_cost[cols]
        )
        return best > floor


def _score_block(
    requests: RequestBook,
    rows: np.ndarray,
    offers: OfferBook,
    cols: np.ndarray,
    facts: _OfferFacts,
    weights: Weights,
    seed: int,
    top_k: int,
    pricing: _Pricing | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's top_k feasible columns, checking and hashing only the pairs that can make it.

    Every pair first gets its score without the randomness (2-D, the cheap
    part). The randomness adds less than `weights.randomness`, so a row's k-th
    best over a sample of its feasible columns is a floor under its k-th best
    full score, and a pair whose partial score plus the whole randomness
    weight stays below that floor cannot be in the row's top_k. Only the pairs
    left are checked for feasibility and hashed, one by one as 1-D arrays.
    With `pricing` the same holds for the reduced score, and the request's
    threshold raises the floor.
    """
    partial = _scores_without_randomness(requests, rows, offers, cols, facts, weights)
    if pricing is None:
        rank = partial
        floor = np.full(len(rows), -np.inf)
    else:
        rank = partial - requests.units[rows][:, None] * pricing.unit_cost[cols]
        floor = pricing.threshold[rows].copy()
    width = len(cols)
    stride = max(1, width // (64 * top_k))
    if width > top_k and -(-width // stride) >= top_k:
        sample = np.arange(0, width, stride)
        feasible = _feasible(requests, rows[:, None], offers, cols[sample][None, :], facts)
        sampled = rank[:, sample] + weights.randomness * _unit_interval(
            _request_keys(seed, requests.ids[rows])[:, None] ^ _offer_keys(offers.ids[cols[sample]])[None, :]
        )
        sampled[~feasible] = -np.inf
        floor = np.maximum(floor, np.partition(sampled, len(sample) - top_k, axis=1)[:, len(sample) - top_k])
    # The price ceiling is the constraint that fails most often among the pairs that pass the floor.
    may = rank + weights.randomness >= floor[:, None]
    may &= offers.price[cols] <= requests.max_price[rows][:, None]
    i, j = np.nonzero(may)
    feasible = _feasible(requests, rows[i], offers, cols[j], facts)
    i, j = i[feasible], j[feasible]
    noise = weights.randomness * _unit_interval(
        _request_keys(seed, requests.ids[rows])[i] ^ _offer_keys(offers.ids[cols])[j]
    )
    score = partial[i, j] + noise
    value = score if pricing is None else rank[i, j] + noise
    if pricing is not None:
        above = value > pricing.threshold[rows][i]
        i, j, score, value = i[above], j[above], score[above], value[above]
    # Each row's top_k: rows in order, best value first, then the first top_k of each row.
    order = np.lexsort((-value, i))
    i = i[order]
    place = np.arange(len(i)) - np.searchsorted(i, i, side="left")
    keep = order[place < top_k]
    return rows[i[place < top_k]], cols[j[keep]], score[keep]


def _feasible(requests: RequestBook, r: np.ndarray, offers: OfferBook, o: np.ndarray, facts: _OfferFacts) -> np.ndarray:
    """The registry's constraints (ProviderRegistry.checkMatch) for request rows `r` against offer rows `o`.

    `r` and `o` broadcast: 1-D pairs, or a column of rows against a row of
    offers. Model and region hold for the whole pool, so they are not checked here.
    """
    units = requests.units[r]
    feasible = (
        (facts.address[o] != requests.tenant[r])
        & (offers.tier[o] >= requests.min_tier[r])
        & (facts.reputation[o] >= requests.min_reputation[r])
        & (offers.price[o] <= requests.max_price[r])
        & (requests.duration[r] <= offers.max_duration[o])
        & (units <= offers.free_units[o])
        & (facts.free_stake[o] >= units * offers.collateral_per_unit[o])
    )
    if requests.excluded is not None:
        # A re-opened request: the chain skips its failed provider's offers (PROVIDER_EXCLUDED).
        feasible &= facts.address[o] != requests.excluded[r]
    if requests.job_steps is None:
        return feasible
    return feasible & _job_accepted(requests, r, offers, o, facts)


def _job_accepted(
    requests: RequestBook, r: np.ndarray, offers: OfferBook, o: np.ndarray, facts: _OfferFacts
) -> np.ndarray:
    """ProviderRegistry.checkJobPolicy: a RENTAL row passes; a JOB row needs an offer whose job policy takes it.

    The offer's setup time plus the steps at its throughput (rounded up) must fit the
    result timeout, and the provider's free stake must cover the job's collateral.
    """
    steps = requests.job_steps[r]
    if offers.job_rate is None:
        return steps == 0
    rate = offers.job_rate[o]
    per_second = np.maximum(rate, 1)
    needed = offers.job_setup[o] + (steps + per_second - 1) // per_second
    takes = (rate > 0) & (needed <= requests.job_timeout[r]) & (facts.free_stake[o] >= requests.job_collateral[r])
    return (steps == 0) | takes


def _scores_without_randomness(
    requests: RequestBook, rows: np.ndarray, offers: OfferBook, cols: np.ndarray, facts: _OfferFacts, weights: Weights
) -> np.ndarray:
    """Every factor of the score but the randomness, for every (row, col), as a 2-D array.

    The same sums as docs/matching.md, "The score", rearranged so that each
    factor is a row column times a column row: w.price · (1 − price / maxPrice)
    is w.price − (w.price / maxPrice) · price, and the stake factor is
    min(1, (freeStake / 4 · collateral) / units).
    """
    row_part = weights.match + weights.price + weights.region * np.where(requests.region[rows] == 0, 0.5, 1.0)
    price_weight = weights.price / np.maximum(requests.max_price[rows].astype(np.float64), 1.0)
    collateral = 4.0 * offers.collateral_per_unit[cols].astype(np.float64)
    stake_per_unit = facts.free_stake[cols] / np.maximum(collateral, np.finfo(np.float64).tiny)
    score = np.minimum(1.0, stake_per_unit / requests.units[rows][:, None])
    score *= weights.stake
    score += row_part[:, None]
    score += facts.quality[cols]
    score -= price_weight[:, None] * offers.price[cols].astype(np.float64)
    return score


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
    share one); region and every constraint of `_feasible` are checked here.
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
    draw_keys = _request_keys(seed ^ _DRAW_SALT, requests.ids[rows])[None, :]
    region = requests.region[rows][None, :]
    found_r, found_o = [], []
    step = max(1, _BLOCK_CELLS // len(rows))
    for at in range(0, len(cols), step):
        block = cols[at : at + step]
        # Offers as rows here, so each offer's draw is one contiguous row.
        ok = _feasible(requests, rows[None, :], offers, block[:, None], facts)
        ok &= (region == 0) | (region == offers.region[block][:, None])
        # Each feasible request with probability k / (the offer's feasible requests), by one multiply of the two
        # keys (high bits kept): about k per offer, every one where it has no more than k, without a sort.
        with np.errstate(over="ignore"):
            draw = (draw_keys ^ _offer_keys(offers.ids[block])[:, None]) * np.uint64(0x9E3779B97F4A7C15)
        share = k / np.maximum(ok.sum(axis=1), 1)
        ok &= (draw >> np.uint64(11)).astype(np.float64) < (share * float(1 << 53))[:, None]
        j, i = np.nonzero(ok)
        found_r.append(rows[i])
        found_o.append(block[j])
    r, o = np.concatenate(found_r), np.concatenate(found_o)
    order = np.lexsort((r, o))
    r, o = r[order], o[order]
    return Candidates(r, o, pair_scores(requests, r, offers, o, facts, weights, seed))


def pair_scores(
    requests: RequestBook,
    r: np.ndarray,
    offers: OfferBook,
    o: np.ndarray,
    facts: _OfferFacts,
    weights: Weights,
    seed: int,
) -> np.ndarray:
    """The full score of the pairs (r[i], o[i]), 1-D: `_scores_without_randomness` term by term plus the randomness."""
    row_part = weights.match + weights.price + weights.region * np.where(requests.region[r] == 0, 0.5, 1.0)
    price_weight = weights.price / np.maximum(requests.max_price[r].astype(np.float64), 1.0)
    collateral = 4.0 * offers.collateral_per_unit[o].astype(np.float64)
    stake_per_unit = facts.free_stake[o] / np.maximum(collateral, np.finfo(np.float64).tiny)
    score = weights.stake * np.minimum(1.0, stake_per_unit / requests.units[r])
    score += row_part + facts.quality[o] - price_weight * offers.price[o].astype(np.float64)
    return score + weights.randomness * pair_randomness(seed, requests.ids[r], offers.ids[o])
