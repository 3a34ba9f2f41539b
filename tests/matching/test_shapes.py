"""The five hard market shapes (keepers/matching/shapes.py): seeded, and each the shape it claims."""

import numpy as np
import pytest

from keepers.matching import Weights, candidates, solve
from keepers.matching.shapes import (
    FRAGMENTED_REGIONS,
    HEAVY_TAIL_MAX_UNITS,
    SCARCE_MODEL,
    SCARCE_OVERSUBSCRIPTION,
    SHAPES,
)


def books_equal(a, b):
    return all(
        np.array_equal(getattr(x, name), getattr(y, name))
        for x, y in ((a.requests, b.requests), (a.offers, b.offers), (a.providers, b.providers))
        for name in x.__dataclass_fields__
    )


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_shape_is_a_function_of_its_seed_and_size(name):
    make = SHAPES[name]
    market = make(200, 2_000, seed=4)
    assert books_equal(market, make(200, 2_000, seed=4))
    assert not books_equal(market, make(200, 2_000, seed=5))
    assert len(market.requests) == 200 and len(market.offers) == 2_000
    offers, providers = market.offers, market.providers
    assert offers.provider.min() >= 0 and offers.provider.max() < len(providers)
    assert np.all((offers.free_units >= 0) & (offers.free_units <= offers.units))
    assert len(np.unique(providers.address)) == len(providers)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_has_matches_to_make(name):
    market = SHAPES[name](200, 2_000, seed=4)
    found = candidates(market.requests, market.offers, market.providers, Weights(), 4, top_k=16)
    assert len(np.unique(found.request)) > 50
    chosen = solve(market.requests, market.offers, market.providers, found)
    assert len(chosen) > 50


def test_scarce_asks_three_times_the_free_capacity_of_one_model():
    market = SHAPES["scarce"](2_000, 20_000, seed=1)
    model = market.models.index(SCARCE_MODEL) + 1
    asked = market.requests.units[market.requests.gpu_model == model].sum()
    free = market.offers.free_units[market.offers.gpu_model == model].sum()
    assert (market.requests.gpu_model == model).mean() > 0.75
    assert SCARCE_OVERSUBSCRIPTION * 0.95 <= asked / free <= SCARCE_OVERSUBSCRIPTION * 1.1
    others = market.offers.gpu_model != model
    assert market.offers.free_units[others].sum() > asked  # only the one model is scarce


def test_multi_unit_requests_take_eight_to_sixty_four_units_from_nodes_that_hold_them():
    market = SHAPES["multi-unit"](1_000, 10_000, seed=2)
    units = market.requests.units
    assert units.min() == 8 and units.max() == 64 and np.all(units % 8 == 0)
    offers = market.offers
    assert offers.units.min() >= 8 and offers.units.max() <= 64
    per_provider = np.bincount(offers.provider)
    assert per_provider.min() >= 1 and per_provider.max() <= 8
    # A provider's offers share its model and region.
    for field in ("gpu_model", "region"):
        values = getattr(offers, field)
        assert np.all(
            np.minimum.reduceat(values, np.r_[0, np.flatnonzero(np.diff(offers.provider)) + 1])
            == np.maximum.reduceat(values, np.r_[0, np.flatnonzero(np.diff(offers.provider)) + 1])
        )


def test_heavy_tailed_sizes_have_a_few_giants_and_many_single_units():
    units = SHAPES["heavy-tailed"](100, 50_000, seed=3).offers.units
    assert units.max() <= HEAVY_TAIL_MAX_UNITS
    assert (units == 1).mean() > 0.4
    assert (units >= 100).sum() >= 10
    assert units.max() >= 500


def test_region_fragmented_requests_each_pin_one_of_thirty_regions():
    market = SHAPES["region-fragmented"](3_000, 20_000, seed=6)
    assert len(market.regions) == FRAGMENTED_REGIONS
    assert market.requests.region.min() >= 1 and market.requests.region.max() == FRAGMENTED_REGIONS
    assert len(np.unique(market.offers.region)) == FRAGMENTED_REGIONS


def test_near_ties_make_providers_almost_equal():
    market = SHAPES["near-ties"](100, 20_000, seed=8)
    providers, offers = market.providers, market.offers
    assert np.ptp(providers.reputation) < 10 and np.ptp(providers.uptime) < 10
    for code in np.unique(offers.gpu_model):
        prices = offers.price[offers.gpu_model == code]
        assert prices.max() / prices.min() < 1.01
