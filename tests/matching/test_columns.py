"""Column generation: pricing finds exactly the pairs of positive reduced score, and the bound is proven and tight."""

import dataclasses
import time

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from keepers.matching import Weights, assignment, candidates, columns, match, relaxation_bound
from keepers.matching.columns import relax
from keepers.matching.shapes import SHAPES
from keepers.matching.synthetic import generate

from matching.support import crowded_market, every_pair


def exact_optimum(requests, offers, providers, pairs):
    """The 0/1 programme over `pairs`, solved to optimality by HiGHS."""
    problem = assignment._Problem.of(requests, offers, providers, pairs)
    everyone = np.arange(len(pairs))
    matrix, limit = assignment._constraints(problem, everyone, problem.free_units, problem.free_stake)
    result = milp(
        -problem.score,
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(matrix, -np.inf, limit)],
        options={"mip_rel_gap": 0},
    )
    assert result.status == 0
    return -result.fun


def relaxed(requests, offers, providers, seed, top_k=1, add_k=2, max_rounds=100):
    return relax(requests, offers, providers, Weights(), seed, top_k, add_k, max_rounds, time.monotonic() + 60)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3, 50])
def test_pricing_keeps_exactly_each_requests_best_pairs_by_reduced_score_above_its_threshold(seed, k):
    market = generate(60, 150, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0, 0.15, len(offers))
    threshold = rng.uniform(0.0, 1.8, len(requests))
    every = every_pair(requests, offers, providers, seed)
    reduced = every.score - requests.units[every.request] * cost[every.offer]
    expected = {}
    for r in range(len(requests)):
        mine = np.flatnonzero((every.request == r) & (reduced > threshold[r]))
        for p in mine[np.argsort(-reduced[mine])][:k]:
            expected[(int(r), int(every.offer[p]))] = float(every.score[p])
    priced = candidates(requests, offers, providers, Weights(), seed, top_k=k, unit_cost=cost, threshold=threshold)
    got = dict(zip(zip(priced.request.tolist(), priced.offer.tolist()), priced.score.tolist()))
    assert len(expected) > 0 and got.keys() == expected.keys()
    assert all(got[p] == pytest.approx(expected[p], abs=1e-12) for p in expected)


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_is_at_least_the_exact_optimum_over_every_feasible_pair(seed):
    requests, offers, providers = crowded_market(seed)
    every = every_pair(requests, offers, providers, seed)
    optimum = exact_optimum(requests, offers, providers, every)
    result = relaxed(requests, offers, providers, seed)
    assert result.bound >= optimum - 1e-9
    _, chosen = match(requests, offers, providers, Weights(), seed, top_k=1, pricing_k=2)
    assert chosen.total_score <= optimum + 1e-9 and chosen.upper_bound >= optimum - 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_converged_the_bound_is_the_relaxation_over_every_feasible_pair(seed):
    requests, offers, providers = crowded_market(seed)
    whole = relaxation_bound(requests, offers, providers, every_pair(requests, offers, providers, seed))
    result = relaxed(requests, offers, providers, seed)
    assert result.objective == pytest.approx(whole, rel=2e-4)
    assert whole - 1e-7 <= result.bound <= whole * (1 + 2e-4)
    # The master holds a small share of the feasible pairs, yet reaches the relaxation over all of them.
    assert len(result.candidates) < len(every_pair(requests, offers, providers, seed))


@pytest.mark.parametrize("seed", range(4))
def test_stopped_early_the_bound_still_covers_every_feasible_pair(seed):
    requests, offers, providers = crowded_market(seed)
    whole = relaxation_bound(requests, offers, providers, every_pair(requests, offers, providers, seed))
    result = relaxed(requests, offers, providers, seed, max_rounds=1)
    assert result.rounds == 1 and result.objective < whole - 1e-6  # the pairs it lacks matter
    assert result.bound >= whole - 1e-7


@pytest.mark.parametrize("seed", range(3))
def test_match_rounds_the_relaxation_within_capacity_and_close_to_its_bound(seed):
    market = generate(400, 1_500, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    found, chosen = match(requests, offers, providers, Weights(), seed, top_k=4, solver="relaxation")
    assert chosen.method.startswith("relaxation-rounded")
    assert len(np.unique(chosen.request)) == len(chosen)
    problem = assignment._Problem.of(requests, offers, providers, found)
    picked = np.flatnonzero(
        np.isin(found.request * len(offers) + found.offer, chosen.request * len(offers) + chosen.offer)
    )
    units = np.bincount(problem.offer[picked], problem.units[picked], minlength=len(offers))
    stake = np.bincount(problem.provider[picked], problem.stake[picked], minlength=len(providers))
    assert np.all(units <= offers.free_units) and np.all(stake <= providers.free_stake)
    assert chosen.total_score == pytest.approx(float(found.score[picked].sum()), abs=1e-9)
    # On markets this small the 0/1 optimum itself is some 2% under the relaxation.
    assert 0.97 * chosen.upper_bound <= chosen.total_score <= chosen.upper_bound


def test_without_pricing_match_solves_the_top_k_candidates_alone():
    market = generate(200, 600, seed=3)
    found, chosen = match(
        market.requests, market.offers, market.providers, Weights(), 3, top_k=2, rounds=1, pricing_rounds=0
    )
    assert len(found) <= 2 * len(market.requests) and chosen.method in ("optimal", "lp-rounded")


@pytest.mark.parametrize("seed", range(3))
def test_sharded_masters_keep_each_request_in_one_shard_and_the_bound_still_covers_every_pair(seed):
    market = generate(300, 900, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    whole = relaxation_bound(requests, offers, providers, every_pair(requests, offers, providers, seed))
    result = relax(requests, offers, providers, Weights(), seed, 2, 2, 100, time.monotonic() + 60, shard=True)
    shard = columns._model_shards(offers, len(providers))
    assert len(np.unique(shard)) > 1
    pairs = result.candidates
    for r in np.unique(pairs.request):
        assert len(np.unique(shard[pairs.offer[pairs.request == r]])) == 1
    assert result.bound >= whole - 1e-7 and result.objective <= whole + 1e-7


def test_a_provider_with_offers_of_two_models_puts_both_models_in_one_shard():
    market = generate(10, 200, seed=4)
    offers = market.offers
    a, b = (
        np.flatnonzero(offers.gpu_model == offers.gpu_model[0])[0],
        np.flatnonzero(offers.gpu_model != offers.gpu_model[0])[0],
    )
    apart = columns._model_shards(offers, len(market.providers))
    assert apart[a] != apart[b]
    provider = offers.provider.copy()
    provider[b] = provider[a]
    linked = columns._model_shards(dataclasses.replace(offers, provider=provider), len(market.providers))
    same_model_as_b = offers.gpu_model == offers.gpu_model[b]
    assert linked[a] == linked[b] and np.all(linked[same_model_as_b] == linked[a])
    assert len(np.unique(linked)) == len(np.unique(apart)) - 1


@pytest.mark.parametrize("shape", ["scarce", "near-ties", "region-fragmented"])
def test_local_improvement_packs_better_than_rounding_and_stays_within_capacity(shape):
    # Large enough that the master is rounded, not solved whole (`_ROUND_WHOLE_MAX_PAIRS`).
    market = SHAPES[shape](1_000, 10_000, seed=7)
    requests, offers, providers = market.requests, market.offers, market.providers
    relaxed = relax(requests, offers, providers, Weights(), 7, 16, 8, 3, time.monotonic() + 60, shard=True, pool_k=128)
    rounded = assignment._round(requests, offers, providers, relaxed, 60.0, 2_000, 20_000)
    found = relaxed.candidates
    order = np.lexsort((found.offer, found.request))
    found = type(found)(found.request[order], found.offer[order], found.score[order])
    r, o, total, raised = assignment._improve(
        requests, offers, providers, found, rounded.request, rounded.offer, time.monotonic() + 60
    )
    assert raised and total > rounded.total_score and total <= relaxed.bound
    assert len(np.unique(r)) == len(r)
    assert total == pytest.approx(
        float(found.score[np.isin(found.request * len(offers) + found.offer, r * len(offers) + o)].sum())
    )
    units = np.bincount(o, requests.units[r], minlength=len(offers))
    stake = np.bincount(offers.provider[o], requests.units[r] * offers.collateral_per_unit[o], minlength=len(providers))
    assert np.all(units <= offers.free_units) and np.all(stake <= providers.free_stake)
    # With no time left it keeps the rounding as it is.
    same = assignment._improve(
        requests, offers, providers, found, rounded.request, rounded.offer, time.monotonic(), cpu_seconds=0.0
    )
    assert not same[3] and same[2] == pytest.approx(rounded.total_score)
