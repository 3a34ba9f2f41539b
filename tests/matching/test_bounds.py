"""The knapsack bound: whole requests in each provider's knapsack, below the relaxation and above the optimum."""

import dataclasses
import time

import numpy as np
import pytest

from keepers.matching import Weights, relaxation_bound, solve
from keepers.matching.bounds import knapsack_bound
from keepers.matching.columns import relax
from keepers.matching.shapes import SHAPES

from .support import every_pair
from .test_whole_units import _one_provider_market


def test_two_requests_of_two_units_on_three_free_units_bound_one_request_where_the_relaxation_counts_one_and_a_half():
    requests, offers, providers = _one_provider_market(4.0)
    offers = dataclasses.replace(offers, free_units=np.array([3]))
    requests = dataclasses.replace(requests, units=np.full(2, 2, dtype=np.int64))
    every = every_pair(requests, offers, providers, seed=3)
    assert len(every) == 2
    lp = relaxation_bound(requests, offers, providers, every)
    assert lp == pytest.approx(1.5 * every.score.max(), rel=0.05), "the relaxation packs a request and a half"
    zero = (np.zeros(len(requests)), np.zeros(len(offers)), np.zeros(len(providers)))
    found = knapsack_bound(requests, offers, providers, Weights(), 3, *zero)
    assert found.bound == pytest.approx(every.score.max(), rel=1e-12), "one whole request fits, not two"
    assert found.pairs == 2


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_at_the_relaxations_prices_the_bound_lies_between_the_exact_optimum_and_the_relaxation(shape):
    seed = 1
    market = SHAPES[shape](200, 2_000, seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    every = every_pair(requests, offers, providers, seed)
    exact = solve(requests, offers, providers, every, 120.0, 10**9, 10**9)
    assert exact.method == "optimal"
    relaxed = relax(requests, offers, providers, Weights(), seed, 32, 32, 100, time.monotonic() + 120)
    found = knapsack_bound(requests, offers, providers, Weights(), seed, *relaxed.prices)
    assert exact.total_score - 1e-7 <= found.bound <= relaxed.bound + 1e-7
    # Any prices ≥ 0 give a bound, however poor: here the relaxation's request prices halved, no unit or stake price.
    rough = (relaxed.prices[0] / 2, np.zeros(len(offers)), np.zeros(len(providers)))
    assert knapsack_bound(requests, offers, providers, Weights(), seed, *rough).bound >= exact.total_score - 1e-7


def test_subgradient_steps_lower_the_bound_and_keep_it_above_the_optimum():
    seed = 1
    market = SHAPES["scarce"](200, 2_000, seed)
    requests, offers, providers = market.requests, market.offers, market.providers
    every = every_pair(requests, offers, providers, seed)
    exact = solve(requests, offers, providers, every, 120.0, 10**9, 10**9)
    relaxed = relax(requests, offers, providers, Weights(), seed, 32, 32, 100, time.monotonic() + 120)
    args = (requests, offers, providers, Weights(), seed, *relaxed.prices)
    start = knapsack_bound(*args).bound
    # The relaxation's prices halved: a poor start that the steps must improve on.
    poor = (relaxed.prices[0] / 2, *relaxed.prices[1:])
    rough = knapsack_bound(requests, offers, providers, Weights(), seed, *poor).bound
    stepped = knapsack_bound(
        requests, offers, providers, Weights(), seed, *poor, steps=10, target=0.99 * exact.total_score, length=0.5
    ).bound
    assert exact.total_score - 1e-7 <= stepped < rough
    assert exact.total_score - 1e-7 <= knapsack_bound(*args, steps=5, target=exact.total_score).bound <= start
