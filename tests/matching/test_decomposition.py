"""The assignment's exact steps (reduction, split into parts), its bound, and its large-part path."""

import itertools

import numpy as np
import pytest

from keepers.matching import Candidates, Weights, assignment, candidates, greedy_by_score, match, solve
from keepers.matching.synthetic import generate


def optimum(problem, pairs):
    """Brute force over at most one pair per request, within every capacity."""
    by_request = {}
    for p in pairs.tolist():
        by_request.setdefault(int(problem.request[p]), []).append(p)
    best = 0.0
    for choice in itertools.product(*[[None, *ps] for ps in by_request.values()]):
        chosen = np.array([p for p in choice if p is not None], dtype=np.int64)
        if fits(problem, chosen):
            best = max(best, float(problem.score[chosen].sum()))
    return best


def fits(problem, chosen):
    units = np.bincount(problem.offer[chosen], problem.units[chosen], minlength=len(problem.free_units))
    stake = np.bincount(problem.provider[chosen], problem.stake[chosen], minlength=len(problem.free_stake))
    return bool(np.all(units <= problem.free_units) and np.all(stake <= problem.free_stake))


def tight_market(seed, n_requests=7, n_offers=6):
    """A market where capacity binds: few offers with few free units, requests of several units."""
    market = generate(n_requests, n_offers, seed=seed)
    offers = market.offers
    offers = type(offers)(**{**offers.__dict__, "free_units": np.minimum(offers.free_units, 3)})
    requests = market.requests
    # Every request names the same model and any region, so requests compete for the same offers.
    requests = type(requests)(
        **{
            **requests.__dict__,
            "gpu_model": np.full(n_requests, offers.gpu_model[0]),
            "min_vram": np.zeros(n_requests, dtype=np.int64),
            "region": np.zeros(n_requests, dtype=np.int64),
            "min_reputation": np.zeros(n_requests, dtype=np.int64),
            "min_tier": np.zeros(n_requests, dtype=np.int64),
            "max_price": np.full(n_requests, offers.price.max() * 2),
            "duration": np.full(n_requests, 3600),
            "units": np.resize([1, 2, 3], n_requests),
        }
    )
    offers = type(offers)(**{**offers.__dict__, "gpu_model": np.full(n_offers, offers.gpu_model[0])})
    return requests, offers, market.providers


@pytest.mark.parametrize("seed", range(10))
def test_reduction_keeps_the_optimum(seed):
    requests, offers, providers = tight_market(seed)
    found = candidates(requests, offers, providers, Weights(), seed, top_k=3)
    problem = assignment._Problem.of(requests, offers, providers, found)
    kept, _, _ = assignment._reduce(problem)
    assert optimum(problem, kept) == pytest.approx(optimum(problem, np.arange(len(found))), abs=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_parts_solved_alone_add_up_to_the_optimum_of_the_whole(seed):
    requests, offers, providers = tight_market(seed, n_requests=7, n_offers=8)
    found = candidates(requests, offers, providers, Weights(), seed, top_k=3)
    problem = assignment._Problem.of(requests, offers, providers, found)
    kept, binding_offer, binding_provider = assignment._reduce(problem)
    parts = assignment._parts(problem, kept, binding_offer, binding_provider)
    assert sum(optimum(problem, part) for part in parts) == pytest.approx(optimum(problem, kept), abs=1e-9)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.sort(kept))


def test_a_request_whose_best_pair_cannot_be_contested_is_decided_before_any_solver():
    requests, offers, providers = tight_market(0)
    roomy = type(offers)(**{**offers.__dict__, "free_units": np.full(len(offers), 1000)})
    rich = type(providers)(**{**providers.__dict__, "free_stake": np.full(len(providers), 1e30)})
    found = candidates(requests, roomy, rich, Weights(), 0)
    problem = assignment._Problem.of(requests, roomy, rich, found)
    kept, binding_offer, binding_provider = assignment._reduce(problem)
    assert not binding_offer.any() and not binding_provider.any()
    assert len(kept) == len(np.unique(found.request))  # one pair per request: its best


@pytest.mark.parametrize("seed", range(8))
def test_solve_reaches_the_optimum_with_token_scale_stake(seed):
    # Stake of 1e20 and more per unit: HiGHS refuses matrix values past 1e15 unless rows are scaled.
    requests, offers, providers = tight_market(seed)
    assert offers.collateral_per_unit.min() >= 1e20
    found = candidates(requests, offers, providers, Weights(), seed, top_k=3)
    problem = assignment._Problem.of(requests, offers, providers, found)
    result = solve(requests, offers, providers, found)
    assert result.method == "optimal"
    assert result.total_score == pytest.approx(optimum(problem, np.arange(len(found))), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_the_relaxation_bounds_every_assignment_and_the_large_part_path_stays_feasible(seed):
    market = generate(300, 400, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    found = candidates(requests, offers, providers, Weights(), seed)
    bound = assignment.relaxation_bound(requests, offers, providers, found)
    # milp_max_pairs=0 sends every part to rounds of the relaxation; shard_max_pairs=1 cuts them by model.
    for result in (
        solve(requests, offers, providers, found, milp_max_pairs=0),
        solve(requests, offers, providers, found, milp_max_pairs=0, shard_max_pairs=1),
        solve(requests, offers, providers, found),
    ):
        problem = assignment._Problem.of(requests, offers, providers, found)
        chosen = np.flatnonzero(
            np.isin(found.request * len(offers) + found.offer, result.request * len(offers) + result.offer)
        )
        assert fits(problem, chosen) and len(np.unique(result.request)) == len(result)
        assert 0 < result.total_score <= bound + 1e-9
    assert solve(requests, offers, providers, found, milp_max_pairs=0, shard_max_pairs=1).method == "sharded-lp-rounded"


def test_the_bound_covers_pairs_left_out_of_the_top_k():
    market = generate(60, 300, seed=13)
    requests, offers, providers = market.requests, market.offers, market.providers
    every = candidates(requests, offers, providers, Weights(), 13, top_k=len(offers))
    top = candidates(requests, offers, providers, Weights(), 13, top_k=1)
    best_left_out = np.full(len(requests), -np.inf)
    left_out = ~np.isin(every.request * len(offers) + every.offer, top.request * len(offers) + top.offer)
    np.maximum.at(best_left_out, every.request[left_out], every.score[left_out])
    whole = assignment.relaxation_bound(requests, offers, providers, every)
    assert assignment.relaxation_bound(requests, offers, providers, top, best_left_out) >= whole - 1e-9
    assert assignment.relaxation_bound(requests, offers, providers, top) < whole  # without the cover it is no bound


def test_greedy_takes_the_best_pair_first_even_if_that_starves_another_request():
    requests, offers, providers = tight_market(1, n_requests=2, n_offers=1)
    offers = type(offers)(**{**offers.__dict__, "free_units": np.array([2])})
    found = candidates(requests, offers, providers, Weights(), 1)
    picked = greedy_by_score(requests, offers, providers, Candidates(found.request, found.offer, found.score))
    assert len(picked) == 1 and picked.request[0] == found.request[np.argmax(found.score)]


def test_later_rounds_serve_requests_the_first_left_out_within_the_capacity_of_the_whole_books():
    market = generate(400, 300, seed=17)
    requests, offers, providers = market.requests, market.offers, market.providers
    # Without pricing (pricing_rounds=0) the first round sees each request's top 2 pairs only.
    _first_found, first = match(requests, offers, providers, Weights(), 17, top_k=2, rounds=1, pricing_rounds=0)
    found, more = match(requests, offers, providers, Weights(), 17, top_k=2, rounds=3, pricing_rounds=0)
    # The local improvement after the rounds may trade a request of the first round for a better one,
    # so the first round's requests need not all stay; the rounds serve more, and score more.
    assert len(more) > len(first) and set(more.request.tolist()) - set(first.request.tolist())
    assert more.total_score > first.total_score and "+rounds" in more.method
    problem = assignment._Problem.of(requests, offers, providers, found)
    chosen = np.flatnonzero(np.isin(found.request * len(offers) + found.offer, more.request * len(offers) + more.offer))
    assert len(chosen) == len(more) and fits(problem, chosen)
    assert more.total_score == pytest.approx(float(found.score[chosen].sum()), abs=1e-9)


def test_match_is_a_function_of_the_books_and_the_seed():
    market = generate(300, 500, seed=19)
    a = match(market.requests, market.offers, market.providers, Weights(), 5)[1]
    b = match(market.requests, market.offers, market.providers, Weights(), 5)[1]
    assert np.array_equal(a.request, b.request) and np.array_equal(a.offer, b.offer)


def test_cutting_by_gpu_model_loses_no_pair_of_a_request_that_names_its_model():
    market = generate(200, 600, seed=23)
    named = market.requests.gpu_model != 0
    requests = type(market.requests)(
        **{f: None if v is None else v[named] for f, v in market.requests.__dict__.items()}
    )
    found = candidates(requests, market.offers, market.providers, Weights(), 23)
    problem = assignment._Problem.of(requests, market.offers, market.providers, found)
    every = np.arange(len(found))
    shards = assignment._home_shards(problem, every)
    assert len(shards) > 1
    assert np.array_equal(np.sort(np.concatenate(shards)), every)
    assert all(len(np.unique(problem.shard[s])) == 1 for s in shards)


def test_the_finisher_serves_first_the_request_with_no_substitute():
    # Two requests of one unit, two offers of one unit: request 0 likes offer 0 a little more than offer 1,
    # request 1 can use offer 0 only. Score greedy gives offer 0 to whichever pair scores most;
    # the finisher gives it to request 1, which has nothing else, and both are served.
    problem = assignment._Problem(
        request=np.array([0, 0, 1]),
        offer=np.array([0, 1, 0]),
        provider=np.array([0, 1, 0]),
        score=np.array([1.9, 1.8, 1.5]),
        units=np.ones(3),
        stake=np.ones(3),
        free_units=np.ones(2),
        free_stake=np.full(2, 10.0),
        n_requests=2,
        shard=np.ones(3, dtype=np.int64),
    )
    every = np.arange(3)
    assert assignment._greedy_pairs(problem, every).tolist() == [0]
    chosen = assignment._regret_pairs(problem, every, problem.free_units.copy(), problem.free_stake.copy())
    assert sorted(chosen.tolist()) == [1, 2] and fits(problem, chosen)


@pytest.mark.parametrize("seed", range(3))
def test_the_finisher_stays_within_the_capacity_left(seed):
    market = generate(300, 200, seed=seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    found = candidates(requests, offers, providers, Weights(), seed, top_k=4)
    problem = assignment._Problem.of(requests, offers, providers, found)
    half_units, half_stake = np.floor(problem.free_units / 2), problem.free_stake / 2
    chosen = assignment._regret_pairs(problem, np.arange(len(found)), half_units.copy(), half_stake.copy())
    assert len(chosen) > 0 and len(np.unique(problem.request[chosen])) == len(chosen)
    assert np.all(np.bincount(problem.offer[chosen], problem.units[chosen], minlength=len(half_units)) <= half_units)
    assert np.all(np.bincount(problem.provider[chosen], problem.stake[chosen], minlength=len(half_stake)) <= half_stake)
