"""Pricing from the pool: the first scoring's best pairs priced in memory, scans only where a pair
left out could gain."""

import time

import numpy as np
import pytest

from keepers.matching import Weights, candidates, relaxation_bound
from keepers.matching.columns import _REDUCED_SCORE_MIN, _Pool, _price, relax
from keepers.matching.synthetic import generate

from matching.support import crowded_market, every_pair


def pool_of(requests, offers, providers, seed, size):
    found = candidates(requests, offers, providers, Weights(), seed, top_k=size, by_score=True)
    return _Pool(found, len(requests), size)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("priced", [False, True])
def test_by_score_returns_the_same_pairs_sorted_by_request_then_best_first(seed, priced):
    market = generate(80, 400, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0, 0.1, len(offers)) if priced else None
    threshold = rng.uniform(0.0, 1.5, len(requests)) if priced else None
    plain = candidates(requests, offers, providers, Weights(), seed, top_k=5, unit_cost=cost, threshold=threshold)
    ranked = candidates(
        requests, offers, providers, Weights(), seed, top_k=5, unit_cost=cost, threshold=threshold, by_score=True
    )
    assert len(ranked) > 0
    assert set(zip(plain.request.tolist(), plain.offer.tolist(), plain.score.tolist())) == set(
        zip(ranked.request.tolist(), ranked.offer.tolist(), ranked.score.tolist())
    )
    value = ranked.score if cost is None else ranked.score - requests.units[ranked.request] * cost[ranked.offer]
    same = ranked.request[1:] == ranked.request[:-1]
    assert np.all(np.diff(ranked.request) >= 0) and np.all(value[1:][same] <= value[:-1][same])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("size", [1, 3, 20])
def test_the_cutoff_is_a_score_no_pair_left_out_of_the_pool_exceeds(seed, size):
    market = generate(60, 300, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    pool = pool_of(requests, offers, providers, seed, size)
    every = every_pair(requests, offers, providers, seed)
    inside = set(zip(pool.request.tolist(), pool.offer.tolist()))
    left_out = np.array([(r, o) not in inside for r, o in zip(every.request.tolist(), every.offer.tolist())])
    assert left_out.any() and np.all(every.score[left_out] <= pool.cutoff[every.request[left_out]])
    # A request with fewer feasible pairs than the pool holds them all: nothing is left out of it.
    short = np.bincount(every.request, minlength=len(requests)) < size
    assert np.all(pool.cutoff[short] == -np.inf)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("size", [2, 6, 40])
def test_the_cover_is_each_requests_best_reduced_score_over_every_feasible_pair(seed, size):
    market = generate(60, 300, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0, 0.08, len(offers))
    w = rng.uniform(0.0, 1.6, len(requests))
    pool = pool_of(requests, offers, providers, seed, size)
    r, o, _score, cover = _price(requests, offers, providers, Weights(), seed, 3, pool, cost, w)
    every = every_pair(requests, offers, providers, seed)
    reduced = every.score - requests.units[every.request] * cost[every.offer]
    best = np.full(len(requests), -np.inf)
    np.maximum.at(best, every.request, reduced)
    assert np.allclose(cover, np.maximum(w, best), rtol=0, atol=1e-12)
    # Every pair returned is feasible and gains; every request that can gain gets at least one pair.
    lookup = dict(zip(zip(every.request.tolist(), every.offer.tolist()), reduced.tolist()))
    gains = np.array([lookup[p] for p in zip(r.tolist(), o.tolist())])
    assert len(r) > 0 and np.all(gains > w[r] + _REDUCED_SCORE_MIN)
    assert np.all(np.bincount(r, minlength=len(requests)) <= 3)
    assert set(np.unique(r).tolist()) == set(np.flatnonzero(best > w + _REDUCED_SCORE_MIN).tolist())


@pytest.mark.parametrize("seed", range(4))
def test_pool_pricing_converges_on_the_relaxation_over_every_feasible_pair(seed):
    requests, offers, providers = crowded_market(seed)
    whole = relaxation_bound(requests, offers, providers, every_pair(requests, offers, providers, seed))
    result = relax(requests, offers, providers, Weights(), seed, 1, 2, 100, time.monotonic() + 60, pool_k=4)
    assert result.objective == pytest.approx(whole, rel=2e-4)
    assert whole - 1e-7 <= result.bound <= whole * (1 + 2e-4)
    stopped = relax(requests, offers, providers, Weights(), seed, 1, 2, 1, time.monotonic() + 60, pool_k=4)
    assert stopped.rounds == 1 and stopped.objective <= whole + 1e-7 and stopped.bound >= whole - 1e-7
