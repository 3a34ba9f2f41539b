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
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def pair_randomness(seed: int, request_ids: np.ndarray, offer_ids: np.ndarray) -> np.ndarray:
    """A uniform number in [0, 1) per pair, a function of (seed, request id, offer id) only."""
    with np.errstate(over="ignore"):
        mixed = _mix64(np.uint64(seed) ^ _mix64(request_ids.astype(np.uint64)) ^ (offer_ids.astype(np.uint64) << np.uint64(1)))
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _feasible(requests: RequestBook, r: np.ndarray, offers: OfferBook, o: np.ndarray, providers: ProviderBook) -> np.ndarray:
    """Boolean mask over the pairs (r[i], o[i]): the registry's constraints, in its order."""
    p = offers.provider[o]
    wanted_model = requests.gpu_model[r]
    model_ok = np.where(wanted_model == 0, offers.vram[o] >= requests.min_vram[r], offers.gpu_model[o] == wanted_model)
    return (
        (providers.address[p] != requests.tenant[r])
        & model_ok
        & (offers.tier[o] >= requests.min_tier[r])
        & ((requests.region[r] == 0) | (offers.region[o] == requests.region[r]))
        & (providers.reputation[p] >= requests.min_reputation[r])
        & (offers.price[o] <= requests.max_price[r])
        & (requests.duration[r] <= offers.max_duration[o])
        & (requests.units[r] <= offers.free_units[o])
        & (providers.free_stake[p] >= requests.units[r] * offers.collateral_per_unit[o])
    )


def _scores(
    requests: RequestBook, r: np.ndarray, offers: OfferBook, o: np.ndarray, providers: ProviderBook, weights: Weights, seed: int
) -> np.ndarray:
    p = offers.provider[o]
    max_price = requests.max_price[r].astype(np.float64)
    price = 1.0 - offers.price[o] / np.maximum(max_price, 1.0)
    region = np.where(requests.region[r] == 0, 0.5, 1.0)
    uptime = providers.uptime[p] / BPS
    reputation = providers.reputation[p] / BPS
    capacity = offers.free_units[o] / np.maximum(offers.units[o], 1)
    slashes = providers.slash_count[p].astype(np.float64)
    slash_rate = 1.0 - slashes / (slashes + providers.completed[p] + 1.0)
    required = (requests.units[r] * offers.collateral_per_unit[o]).astype(np.float64)
    stake = np.minimum(1.0, providers.free_stake[p] / np.maximum(4.0 * required, 1.0))
    randomness = pair_randomness(seed, requests.ids[r], offers.ids[o])
    return (
        weights.match
        + weights.price * price
        + weights.region * region
        + weights.uptime * uptime
        + weights.reputation * reputation
        + weights.capacity * capacity
        + weights.slash_rate * slash_rate
        + weights.stake * stake
        + weights.randomness * randomness
    )


def candidates(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    weights: Weights,
    seed: int,
    top_k: int = 32,
) -> Candidates:
    """Every feasible pair, scored, keeping each request's `top_k` best offers.

    Offers are sharded by GPU model: a request naming a model meets only that
    model's offers; a request for any model meets all offers, pruned by vRAM.
    """
    if len(requests) == 0 or len(offers) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, np.zeros(0))
    offers_by_model: dict[int, np.ndarray] = {}
    order = np.argsort(offers.gpu_model, kind="stable")
    models, starts = np.unique(offers.gpu_model[order], return_index=True)
    for model, chunk in zip(models, np.split(order, starts[1:])):
        offers_by_model[int(model)] = chunk
    all_offers = np.arange(len(offers))

    picked_r, picked_o, picked_s = [], [], []
    for model in np.unique(requests.gpu_model):
        group = np.flatnonzero(requests.gpu_model == model)
        pool = all_offers if model == 0 else offers_by_model.get(int(model))
        if pool is None or len(pool) == 0:
            continue
        # Bound memory: score at most ~4M pairs at a time.
        step = max(1, 4_000_000 // len(pool))
        for start in range(0, len(group), step):
            rows = group[start : start + step]
            r = np.repeat(rows, len(pool))
            o = np.tile(pool, len(rows))
            mask = _feasible(requests, r, offers, o, providers)
            r, o = r[mask], o[mask]
            if len(r) == 0:
                continue
            s = _scores(requests, r, offers, o, providers, weights, seed)
            keep = _top_k_per_request(r, s, top_k)
            picked_r.append(r[keep])
            picked_o.append(o[keep])
            picked_s.append(s[keep])
    if not picked_r:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, np.zeros(0))
    return Candidates(np.concatenate(picked_r), np.concatenate(picked_o), np.concatenate(picked_s))


def _top_k_per_request(r: np.ndarray, s: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores of each request (ties broken by position)."""
    order = np.lexsort((-s, r))
    ranked_r = r[order]
    first = np.searchsorted(ranked_r, ranked_r, side="left")
    rank = np.arange(len(order)) - first
    return order[rank < k]
