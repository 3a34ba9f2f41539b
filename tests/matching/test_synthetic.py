"""Seeded synthetic markets: the same seed gives the same books, and the mix is what the bench claims."""

import numpy as np
import pytest

from keepers.matching.synthetic import MODEL_MIX, TOKEN, generate, load_catalogue


def books_equal(a, b):
    return all(
        np.array_equal(getattr(x, name), getattr(y, name))
        for x, y in ((a.requests, b.requests), (a.offers, b.offers), (a.providers, b.providers))
        for name in x.__dataclass_fields__
    )


def test_the_same_seed_gives_the_same_market():
    assert books_equal(generate(300, 2_000, seed=11), generate(300, 2_000, seed=11))


def test_another_seed_gives_another_market():
    assert not books_equal(generate(300, 2_000, seed=11), generate(300, 2_000, seed=12))


def test_sizes_are_the_ones_asked_for():
    market = generate(123, 4_567, seed=1)
    assert len(market.requests) == 123 and len(market.offers) == 4_567
    assert market.offers.provider.max() == len(market.providers) - 1


def test_providers_hold_one_to_eight_units_and_requests_ask_for_one_to_eight():
    market = generate(2_000, 5_000, seed=3)
    per_provider = np.bincount(market.offers.provider, weights=market.offers.units)
    assert per_provider.min() >= 1 and per_provider.max() <= 8
    assert market.requests.units.min() >= 1 and market.requests.units.max() <= 8
    assert np.all(market.offers.free_units <= market.offers.units) and np.all(market.offers.free_units >= 1)


def test_models_follow_the_catalogue_and_their_share_of_supply():
    market = generate(100, 50_000, seed=5)
    catalogue = {m["id"]: m for m in load_catalogue()}
    shares = np.bincount(market.offers.gpu_model, minlength=len(market.models) + 1)[1:] / len(market.offers)
    for code, model in enumerate(market.models, start=1):
        offers = market.offers.gpu_model == code
        assert set(market.offers.vram[offers].tolist()) == {catalogue[model]["vram_gb"]}
        assert set(market.offers.collateral_per_unit[offers].tolist()) == {
            catalogue[model]["collateral_per_unit"] * TOKEN
        }
    # Offers come from providers drawn by share, so offer shares only approximate it.
    expected = np.array([MODEL_MIX[m][0] for m in market.models]) / sum(MODEL_MIX[m][0] for m in market.models)
    assert np.allclose(shares, expected, atol=0.02)


def test_prices_spread_around_each_models_reference_price():
    market = generate(20_000, 20_000, seed=9)
    for code, model in enumerate(market.models, start=1):
        reference = MODEL_MIX[model][2] * TOKEN
        prices = market.offers.price[market.offers.gpu_model == code]
        assert np.median(prices) == pytest.approx(reference, rel=0.05)
        assert prices.min() < reference < prices.max()


def test_some_tenants_are_providers_and_some_requests_take_any_model_or_region():
    market = generate(5_000, 5_000, seed=2)
    assert np.isin(market.requests.tenant, market.providers.address).any()
    assert (market.requests.gpu_model == 0).any() and (market.requests.region == 0).any()
    assert np.all(market.requests.min_vram[market.requests.gpu_model == 0] > 0)


def test_a_negative_size_is_refused_in_one_line():
    with pytest.raises(ValueError, match="market sizes must be non-negative, got -1 requests and 10 offers"):
        generate(-1, 10, seed=0)
