"""Seeded markets of five hard shapes (issue 17), each a variation of `synthetic.generate`.

The base market (`synthetic.generate`) has plenty of every model. These shapes
stress what it does not, each a function of its size and seed only:

- `scarce`: 80% of the requests name one model (H100) and that model's free
  capacity is a third of the units they ask for (the other H100 offers are in
  use, free units 0); the other models stay plentiful;
- `multi_unit`: requests for 8–64 units (8, 16, 24, 32, 48, 64); a provider
  runs 1–8 offers (nodes), each of 8–64 units, so a request takes most of a
  node and packing binds;
- `heavy_tailed`: offer sizes from a Pareto tail, capped at 1,000 units (a few
  offers of hundreds of units, most of 1 or 2);
- `region_fragmented`: 30 regions of equal weight; every request pins one;
- `near_ties`: prices, reputations, uptimes and records almost equal, so the
  scores of a request's pairs differ by a few parts in a thousand.

Providers' free stake is drawn again for the units they hold (30%–150% of the
collateral of all their units, as in the base market).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .synthetic import Market, generate

SCARCE_MODEL = "nvidia-h100-80gb"
SCARCE_DEMAND_SHARE = 0.8
SCARCE_OVERSUBSCRIPTION = 3.0
MULTI_UNIT_SIZES = np.array([8, 16, 24, 32, 48, 64])
MULTI_UNIT_WEIGHTS = np.array([0.30, 0.25, 0.10, 0.15, 0.10, 0.10])
HEAVY_TAIL_ALPHA = 1.1
HEAVY_TAIL_MAX_UNITS = 1_000
FRAGMENTED_REGIONS = 30


def scarce(n_requests: int, n_offers: int, seed: int) -> Market:
    """Demand on one model three times its free capacity."""
    market = generate(n_requests, n_offers, seed)
    rng = np.random.default_rng([seed, 1])
    model = market.models.index(SCARCE_MODEL) + 1
    requests, offers = market.requests, market.offers
    reference = np.median(offers.price[offers.gpu_model == model]) if np.any(offers.gpu_model == model) else 0.0
    pinned = rng.random(n_requests) < SCARCE_DEMAND_SHARE
    requests = dataclasses.replace(
        requests,
        gpu_model=np.where(pinned, model, requests.gpu_model),
        min_vram=np.where(pinned, 0, requests.min_vram),
        max_price=np.where(pinned, reference * rng.lognormal(0.05, 0.2, n_requests), requests.max_price),
    )
    # Keep a random subset of the model's offers free until their units reach a third of the demand.
    demand = int(requests.units[requests.gpu_model == model].sum())
    ours = rng.permutation(np.flatnonzero(offers.gpu_model == model))
    keep = np.cumsum(offers.free_units[ours]) <= demand / SCARCE_OVERSUBSCRIPTION
    free_units = offers.free_units.copy()
    free_units[ours[~keep]] = 0
    offers = dataclasses.replace(offers, free_units=free_units)
    return dataclasses.replace(market, requests=requests, offers=offers)


def multi_unit(n_requests: int, n_offers: int, seed: int) -> Market:
    """Requests for 8–64 units against nodes of 8–64 units, 1–8 nodes per provider."""
    market = generate(n_requests, n_offers, seed)
    rng = np.random.default_rng([seed, 2])
    per_provider = rng.integers(1, 9, size=max(1, n_offers))
    provider = np.repeat(np.arange(len(per_provider)), per_provider)[:n_offers]
    n_providers = int(provider[-1]) + 1 if n_offers else 0
    units = rng.choice(np.arange(8, 72, 8), size=n_offers)
    in_use = np.where(rng.random(n_offers) < 0.3, rng.integers(0, units // 8, n_offers) * 8, 0)
    # Each provider keeps the model, region and record of the base market's provider of the same row.
    base = market.offers.provider
    first = np.searchsorted(base, np.arange(n_providers).clip(max=base[-1] if n_offers else 0))
    model = market.offers.gpu_model[first][provider]
    same = {name: getattr(market.offers, name)[first][provider] for name in ("vram", "tier", "region")}
    collateral = market.offers.collateral_per_unit[first][provider]
    offers = dataclasses.replace(
        market.offers,
        provider=provider.astype(np.int64),
        gpu_model=model,
        units=units.astype(np.int64),
        free_units=(units - in_use).astype(np.int64),
        collateral_per_unit=collateral,
        **same,
    )
    providers = _restake(_first_providers(market, n_providers), offers, rng)
    requests = dataclasses.replace(
        market.requests, units=rng.choice(MULTI_UNIT_SIZES, size=n_requests, p=MULTI_UNIT_WEIGHTS).astype(np.int64)
    )
    return dataclasses.replace(market, requests=requests, offers=offers, providers=providers)


def heavy_tailed(n_requests: int, n_offers: int, seed: int) -> Market:
    """Offer sizes from a Pareto tail: a few of hundreds of units, most of one or two."""
    market = generate(n_requests, n_offers, seed)
    rng = np.random.default_rng([seed, 3])
    units = np.minimum(HEAVY_TAIL_MAX_UNITS, np.floor(rng.pareto(HEAVY_TAIL_ALPHA, n_offers) + 1)).astype(np.int64)
    in_use = np.where(rng.random(n_offers) < 0.3, rng.integers(0, units, n_offers, endpoint=False), 0)
    offers = dataclasses.replace(market.offers, units=units, free_units=units - in_use)
    return dataclasses.replace(market, offers=offers, providers=_restake(market.providers, offers, rng))


def region_fragmented(n_requests: int, n_offers: int, seed: int) -> Market:
    """Thirty regions of equal weight; every request names one."""
    market = generate(n_requests, n_offers, seed)
    rng = np.random.default_rng([seed, 4])
    n_providers = len(market.providers)
    provider_region = rng.integers(1, FRAGMENTED_REGIONS + 1, n_providers)
    offers = dataclasses.replace(market.offers, region=provider_region[market.offers.provider].astype(np.int64))
    requests = dataclasses.replace(
        market.requests, region=rng.integers(1, FRAGMENTED_REGIONS + 1, n_requests).astype(np.int64)
    )
    regions = tuple(f"region-{i:02d}" for i in range(1, FRAGMENTED_REGIONS + 1))
    return dataclasses.replace(market, requests=requests, offers=offers, regions=regions)


def near_ties(n_requests: int, n_offers: int, seed: int) -> Market:
    """Prices, reputations, uptimes and records almost equal across providers."""
    market = generate(n_requests, n_offers, seed)
    rng = np.random.default_rng([seed, 5])
    n_providers = len(market.providers)
    offers = market.offers
    reference = np.zeros(len(market.models) + 1)
    for code in range(1, len(market.models) + 1):
        prices = offers.price[offers.gpu_model == code]
        reference[code] = np.median(prices) if len(prices) else 0.0
    offers = dataclasses.replace(offers, price=reference[offers.gpu_model] * rng.lognormal(0.0, 0.001, n_offers))
    providers = dataclasses.replace(
        market.providers,
        reputation=rng.integers(8_000, 8_010, n_providers).astype(np.int64),
        uptime=rng.integers(9_900, 9_910, n_providers).astype(np.int64),
        slash_count=np.zeros(n_providers, dtype=np.int64),
        completed=rng.integers(100, 102, n_providers).astype(np.int64),
    )
    return dataclasses.replace(market, offers=offers, providers=_restake(providers, offers, rng))


SHAPES: dict[str, Callable[[int, int, int], Market]] = {
    "scarce": scarce,
    "multi-unit": multi_unit,
    "heavy-tailed": heavy_tailed,
    "region-fragmented": region_fragmented,
    "near-ties": near_ties,
}


def _first_providers(market: Market, n_providers: int):
    """The base market's providers, cycled to `n_providers` rows (addresses stay distinct)."""
    rows = np.arange(n_providers) % max(1, len(market.providers))
    book = market.providers
    fields = {f.name: getattr(book, f.name)[rows] for f in dataclasses.fields(book)}
    fields["address"] = np.arange(1, n_providers + 1, dtype=np.int64)
    return type(book)(**fields)


def _restake(providers, offers, rng: np.random.Generator):
    """Free stake for 30%–150% of the collateral of each provider's units."""
    n = len(providers)
    needed = np.bincount(offers.provider, weights=offers.units * offers.collateral_per_unit, minlength=n)
    return dataclasses.replace(providers, free_stake=needed * rng.uniform(0.3, 1.5, n))
