"""Seeded synthetic markets with realistic mixes, for the matcher's benchmark and tests.

The GPU models, their vRAM, tier and collateral come from
deployments/gpu-catalogue.json. What the catalogue does not hold (each
model's share of supply and of demand, and a reference price per unit-hour)
is set in `MODEL_MIX` below, after public 2025 on-demand cloud prices. Every
draw comes from one `numpy.random.Generator` seeded by `seed`, so a seed and a
size give the same books on every machine.

The mix, in one place:

- offers: a model by its share of supply; a provider in one region holds 1–8
  units over one or two offers (machines of 1, 2, 4 or 8 GPUs are the common
  sizes); some units are already in use; the price spreads log-normally
  (σ 0.15) around the model's reference price; the provider's free stake covers
  between 30% and 150% of the collateral of all its units, so stake binds for
  some;
- providers: reputation Beta(5, 2), uptime Beta(30, 1), slashes Poisson(0.1),
  completed work geometric;
- requests: a model by its share of demand (15% ask for any model with enough
  vRAM instead), 1–8 units (1, 2, 4, 8 most common), 40% accept any region,
  a price ceiling spread log-normally around the reference price, half ask for
  a minimum reputation, a few tenants are also providers (such a pair is never
  feasible).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .book import OfferBook, ProviderBook, RequestBook

CATALOGUE = Path(__file__).resolve().parents[2] / "deployments" / "gpu-catalogue.json"
TOKEN = 10**18  # the payment and stake tokens have 18 decimals
HOUR = 3600

# model id: (share of supply, share of demand, reference price per unit-hour in whole tokens)
MODEL_MIX = {
    "nvidia-t4-16gb": (0.15, 0.08, 0.35),
    "nvidia-rtx-4090-24gb": (0.30, 0.20, 0.45),
    "nvidia-rtx-a6000-48gb": (0.10, 0.08, 0.55),
    "nvidia-l40s-48gb": (0.10, 0.10, 0.90),
    "nvidia-a100-80gb": (0.15, 0.22, 1.40),
    "nvidia-h100-80gb": (0.20, 0.32, 2.20),
}
# region: share of providers (and of requests that name a region)
REGION_MIX = {"us-east": 0.30, "us-west": 0.15, "eu-west": 0.25, "eu-central": 0.10, "asia-east": 0.15, "sa-east": 0.05}
UNIT_SIZES = np.arange(1, 9)
UNIT_WEIGHTS = np.array([0.34, 0.22, 0.05, 0.18, 0.03, 0.03, 0.02, 0.13])  # 1, 2, 4 and 8 GPUs are the usual sizes
ANY_MODEL_SHARE = 0.15
ANY_REGION_SHARE = 0.40


@dataclass(frozen=True)
class Market:
    """Books of one synthetic market, with the model codes used in them."""

    requests: RequestBook
    offers: OfferBook
    providers: ProviderBook
    models: tuple[str, ...]  # model code i + 1 is models[i]
    regions: tuple[str, ...]  # region code i + 1 is regions[i]


def load_catalogue(path: Path = CATALOGUE) -> list[dict]:
    return json.loads(path.read_text())["models"]


def generate(n_requests: int, n_offers: int, seed: int) -> Market:
    """A market of `n_requests` open requests and `n_offers` active offers, a function of `seed` only."""
    if n_requests < 0 or n_offers < 0:
        raise ValueError(f"market sizes must be non-negative, got {n_requests} requests and {n_offers} offers")
    rng = np.random.default_rng(seed)
    catalogue = [m for m in load_catalogue() if m["id"] in MODEL_MIX]
    models = tuple(m["id"] for m in catalogue)
    vram = np.array([m["vram_gb"] for m in catalogue])
    tier = np.array([m["tier"] for m in catalogue])
    collateral = np.array([m["collateral_per_unit"] for m in catalogue], dtype=np.float64) * TOKEN
    supply = _shares([MODEL_MIX[m][0] for m in models])
    demand = _shares([MODEL_MIX[m][1] for m in models])
    reference = np.array([MODEL_MIX[m][2] for m in models]) * TOKEN
    regions = tuple(REGION_MIX)
    region_share = _shares(list(REGION_MIX.values()))

    # Providers: one or two offers of one model each, 1-8 units in all, one region.
    offers_per_provider = rng.choice([1, 2], size=max(1, n_offers), p=[0.7, 0.3])
    provider_of_offer = np.repeat(np.arange(len(offers_per_provider)), offers_per_provider)[:n_offers]
    n_providers = int(provider_of_offer[-1]) + 1 if n_offers else 0
    provider_model = rng.choice(len(models), size=n_providers, p=supply)
    provider_region = rng.choice(len(regions), size=n_providers, p=region_share) + 1
    total_units = rng.choice(UNIT_SIZES, size=n_providers, p=UNIT_WEIGHTS)
    first = np.r_[True, provider_of_offer[1:] != provider_of_offer[:-1]] if n_offers else np.zeros(0, bool)
    second_offers = np.bincount(provider_of_offer, minlength=n_providers) == 2
    # A provider with two offers splits its units; the first offer keeps at least one.
    split = np.maximum(1, (total_units * rng.uniform(0.3, 0.7, n_providers)).round().astype(np.int64))
    split = np.where(second_offers & (total_units > 1), np.minimum(split, total_units - 1), total_units)
    offer_units = np.where(first, split[provider_of_offer], total_units[provider_of_offer] - split[provider_of_offer])
    offer_units = np.maximum(offer_units, 1)
    offer_model = provider_model[provider_of_offer]
    in_use = np.where(rng.random(n_offers) < 0.3, rng.integers(0, offer_units, n_offers, endpoint=False), 0)
    price = reference[offer_model] * rng.lognormal(0.0, 0.15, n_offers)
    max_duration = rng.choice([24, 72, 168, 720], size=n_offers, p=[0.2, 0.3, 0.3, 0.2]) * HOUR

    units_of_provider = np.bincount(provider_of_offer, weights=offer_units, minlength=n_providers)
    free_stake = units_of_provider * collateral[provider_model] * rng.uniform(0.3, 1.5, n_providers)
    providers = ProviderBook(
        address=np.arange(1, n_providers + 1, dtype=np.int64),
        free_stake=free_stake,
        reputation=(rng.beta(5, 2, n_providers) * 10_000).astype(np.int64),
        uptime=(rng.beta(30, 1, n_providers) * 10_000).astype(np.int64),
        slash_count=rng.poisson(0.1, n_providers).astype(np.int64),
        completed=rng.geometric(0.05, n_providers).astype(np.int64) - 1,
    )
    offers = OfferBook(
        ids=np.arange(1, n_offers + 1, dtype=np.int64),
        provider=provider_of_offer.astype(np.int64),
        gpu_model=offer_model.astype(np.int64) + 1,
        vram=vram[offer_model].astype(np.int64),
        tier=tier[offer_model].astype(np.int64),
        region=provider_region[provider_of_offer].astype(np.int64),
        price=price,
        max_duration=max_duration.astype(np.int64),
        units=offer_units.astype(np.int64),
        free_units=(offer_units - in_use).astype(np.int64),
        collateral_per_unit=collateral[offer_model],
    )

    # Requests.
    wanted = rng.choice(len(models), size=n_requests, p=demand)
    any_model = rng.random(n_requests) < ANY_MODEL_SHARE
    any_region = rng.random(n_requests) < ANY_REGION_SHARE
    # A tenant is a fresh address, except 1% who are also providers.
    tenant = n_providers + 1 + rng.integers(0, max(1, n_requests), n_requests)
    own = rng.random(n_requests) < 0.01
    if n_providers:
        tenant = np.where(own, rng.integers(1, n_providers + 1, n_requests), tenant)
    min_reputation = np.where(rng.random(n_requests) < 0.5, 0, rng.integers(0, 8_000, n_requests))
    requests = RequestBook(
        ids=np.arange(1, n_requests + 1, dtype=np.int64),
        tenant=tenant.astype(np.int64),
        gpu_model=np.where(any_model, 0, wanted + 1).astype(np.int64),
        min_vram=np.where(any_model, vram[wanted], 0).astype(np.int64),
        units=rng.choice(UNIT_SIZES, size=n_requests, p=UNIT_WEIGHTS).astype(np.int64),
        region=np.where(any_region, 0, rng.choice(len(regions), size=n_requests, p=region_share) + 1).astype(np.int64),
        min_tier=np.where(rng.random(n_requests) < 0.1, tier[wanted], 0).astype(np.int64),
        min_reputation=min_reputation.astype(np.int64),
        max_price=reference[wanted] * rng.lognormal(0.05, 0.2, n_requests),
        duration=(rng.choice([1, 4, 12, 24, 72, 168], size=n_requests) * HOUR).astype(np.int64),
    )
    return Market(requests, offers, providers, models, regions)


def _shares(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()
