"""Whole-unit capacities, first-fit keeping and covering pairs: the scarce market's fixes (issue 17)."""

import dataclasses

import numpy as np
import pytest

from keepers.matching import Weights, candidates, relaxation_bound
from keepers.matching.auction import _cover, _pairs_of
from keepers.matching.book import integer_capacities
from keepers.matching.kernels import keep_best
from keepers.matching.scoring import requests_drawn
from keepers.matching.shapes import SHAPES, scarce
from keepers.matching.synthetic import generate

from .support import crowded_market, every_pair


def _one_provider_market(stake_units: float, n_requests: int = 2):
    """One provider with one 4-unit offer, whose free stake backs `stake_units` units; requests of 1 unit each."""
    market = generate(n_requests, 1, seed=3)
    offers = dataclasses.replace(
        market.offers, provider=np.zeros(1, dtype=np.int64), free_units=np.array([4]), units=np.array([4])
    )
    collateral = float(offers.collateral_per_unit[0])
    providers = dataclasses.replace(
        market.providers.__class__(
            **{f.name: getattr(market.providers, f.name)[:1] for f in dataclasses.fields(market.providers)}
        ),
        free_stake=np.array([stake_units * collateral]),
    )
    requests = dataclasses.replace(
        market.requests,
        units=np.ones(n_requests, dtype=np.int64),
        gpu_model=np.full(n_requests, offers.gpu_model[0]),
        min_vram=np.zeros(n_requests, dtype=np.int64),
        region=np.zeros(n_requests, dtype=np.int64),
        min_reputation=np.zeros(n_requests, dtype=np.int64),
        min_tier=np.zeros(n_requests, dtype=np.int64),
        max_price=np.full(n_requests, offers.price[0] * 2),
        duration=np.full(n_requests, 3600),
        tenant=np.full(n_requests, -1, dtype=np.int64),
    )
    return requests, offers, providers


def test_stake_for_a_unit_and_a_half_backs_one_whole_unit_and_the_relaxation_serves_one_request_not_one_and_a_half():
    requests, offers, providers = _one_provider_market(1.5)
    units, stake = integer_capacities(offers, providers)
    assert units[0] == 1.0
    collateral = float(offers.collateral_per_unit[0])
    assert collateral <= stake[0] < 2 * collateral
    every = every_pair(requests, offers, providers, seed=3)
    assert len(every) == 2, "both requests can take the offer alone"
    # With the books' stake the relaxation gives each request three quarters of the offer: 1.5 requests' score.
    assert relaxation_bound(requests, offers, providers, every) == pytest.approx(every.score.max(), rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_whole_unit_capacities_accept_exactly_the_same_whole_assignments(seed):
    market = generate(50, 200, seed=seed)
    offers, providers = market.offers, market.providers
    units, stake = integer_capacities(offers, providers)
    assert np.all(units <= offers.free_units) and np.all(stake <= providers.free_stake)
    collateral = offers.collateral_per_unit.astype(np.float64)
    for o in range(len(offers)):
        v = offers.provider[o]
        for k in range(9):
            # k units on offer o, their collateral added up one unit at a time as the solvers' sums are.
            locked = sum([collateral[o]] * k)
            books = k <= offers.free_units[o] and locked <= providers.free_stake[v]
            whole = k <= units[o] and locked <= stake[v]
            assert books == whole, (o, k)


def test_first_fit_keeps_a_lower_bid_that_fits_behind_one_that_does_not():
    group = np.zeros(4, dtype=np.int64)
    bid = np.array([10.0, 9.0, 8.0, 7.0])
    load = np.array([4.0, 2.0, 4.0, 1.0])
    kept = keep_best(group, bid, load, np.array([8.0]))
    # 4 + 2 fit, the second 4 does not, the 1 still does: no unit left idle behind it.
    assert kept.tolist() == [True, True, False, True]


@pytest.mark.parametrize("seed", range(3))
def test_drawn_requests_are_feasible_pairs_scored_as_candidates_scores_them(seed):
    requests, offers, providers = crowded_market(seed, n_requests=60, n_offers=40)
    every = every_pair(requests, offers, providers, seed)
    drawn = requests_drawn(
        requests, offers, providers, Weights(), seed, np.arange(len(requests)), np.arange(len(offers)), 3
    )
    assert len(drawn) > 0
    key = every.request * len(offers) + every.offer
    at = np.searchsorted(key, drawn.request * len(offers) + drawn.offer)
    assert np.all(key[np.minimum(at, len(key) - 1)] == drawn.request * len(offers) + drawn.offer), "an infeasible pair"
    np.testing.assert_allclose(drawn.score, every.score[at], rtol=1e-12)
    per_offer = np.bincount(drawn.offer, minlength=len(offers))
    feasible_per_offer = np.bincount(every.offer, minlength=len(offers))
    few = feasible_per_offer <= 3
    assert np.all(per_offer[few] == feasible_per_offer[few]), "an offer with 3 feasible requests or fewer gets them all"
    assert 1.5 <= per_offer[~few].mean() <= 4.5, "about 3 per offer"


def test_covering_pairs_reach_the_scarce_models_offers_no_pool_pair_reaches_and_nothing_elsewhere():
    market = scarce(600, 6000, seed=7)
    requests, offers, providers = market.requests, market.offers, market.providers
    pool = candidates(requests, offers, providers, Weights(), 7, top_k=16, by_score=True)
    pairs = _pairs_of(requests, offers, providers, pool)
    extra = _cover(requests, offers, providers, Weights(), 7, pairs, 8, 3, 8)
    model = market.models.index("nvidia-h100-80gb") + 1
    assert len(extra) > 0 and np.all(offers.gpu_model[extra.offer] == model)
    reached = np.zeros(len(offers), dtype=bool)
    reached[pool.offer] = True
    assert (~reached[extra.offer]).any()
    every = every_pair(requests, offers, providers, 7)
    key = every.request * len(offers) + every.offer
    assert np.all(np.isin(extra.request * len(offers) + extra.offer, key)), "a covering pair is infeasible"
    # A market with plenty of every model has no contested model: no covering pairs.
    plenty = SHAPES["near-ties"](600, 6000, 7)
    pool = candidates(plenty.requests, plenty.offers, plenty.providers, Weights(), 7, top_k=16, by_score=True)
    pairs = _pairs_of(plenty.requests, plenty.offers, plenty.providers, pool)
    assert len(_cover(plenty.requests, plenty.offers, plenty.providers, Weights(), 7, pairs, 8, 3, 8)) == 0
