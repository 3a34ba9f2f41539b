"""The compiled packing (`packing.pack`): a provider and its partners repacked exactly, feasible, seeded."""

import time

import numpy as np
import pytest

from keepers.matching import Weights, match
from keepers.matching import assignment as assignment_module
from keepers.matching.improve import improve
from keepers.matching.packing import pack
from keepers.matching.shapes import SHAPES

from .test_auction import _score_of, _within_capacity
from .test_improve import brute_force_optimum, feasible, greedy_start, random_instance


@pytest.mark.parametrize("seed", (47, 50))
def test_packing_reaches_the_optimum_where_the_local_improvement_is_stuck(seed):
    """Instances (found by a search over seeds) where no move of the local improvement gains, and the packing of a
    provider with its partners reaches the brute-force optimum (47: 5.24 -> 6.46; 50: 5.89 -> 6.90)."""
    instance = random_instance(np.random.default_rng(seed), 7, 4, 2, 2)
    stuck = improve(**instance, chosen=greedy_start(instance), deadline=time.monotonic() + 10)
    assert improve(**instance, chosen=stuck, deadline=time.monotonic() + 10).tolist() == stuck.tolist()
    optimum = brute_force_optimum(instance)
    assert instance["score"][stuck].sum() < optimum - 0.01
    packed = pack(**instance, chosen=stuck, seed=1)
    assert feasible(instance, packed)
    assert instance["score"][packed].sum() == pytest.approx(optimum, abs=1e-9)


@pytest.mark.parametrize("seed", range(30))
def test_packing_stays_feasible_never_loses_and_never_beats_the_optimum(seed):
    rng = np.random.default_rng(seed)
    instance = random_instance(rng, 7, 4, 2, 2)
    start = greedy_start(instance)
    packed = pack(**instance, chosen=start, seed=seed)
    assert feasible(instance, packed)
    total = float(instance["score"][packed].sum())
    assert float(instance["score"][start].sum()) - 1e-9 <= total <= brute_force_optimum(instance) + 1e-9


@pytest.mark.parametrize("seed", range(5))
def test_packing_is_a_function_of_its_inputs_and_the_seed(seed):
    rng = np.random.default_rng(100 + seed)
    instance = random_instance(rng, 60, 25, 8, 4)
    start = greedy_start(instance)
    first = pack(**instance, chosen=start, seed=seed)
    again = pack(**instance, chosen=start.copy(), seed=seed)
    assert np.array_equal(first, again)
    assert feasible(instance, first)
    assert instance["score"][first].sum() >= instance["score"][start].sum() - 1e-9


def test_past_a_small_pool_the_hybrid_packs_a_scarce_market_and_stops_there(monkeypatch):
    """Where HiGHS's parts are not worth their time (a pool past HYBRID_MAX_PAIRS), the packing is the last stage."""
    market = SHAPES["scarce"](300, 3_000, 1)
    requests, offers, providers = market.requests, market.offers, market.providers
    args = (requests, offers, providers, Weights(), 1)
    monkeypatch.setattr(assignment_module, "HYBRID_MAX_PAIRS", 0)
    _, alone = match(*args, solver="auction", time_limit_seconds=30)
    found, packed = match(*args, time_limit_seconds=30)
    assert list(packed.stage_seconds) == ["pool", "auction", "improve", "pack"]
    assert "+packed" in packed.method and packed.total_score > alone.total_score
    _within_capacity(requests, offers, providers, packed.request, packed.offer)
    assert packed.total_score == pytest.approx(_score_of(found, offers, packed.request, packed.offer), abs=1e-9)
    assert packed.upper_bound == alone.upper_bound
    # No clock in the packing: from the same start, the same packing.
    first = assignment_module._pack(requests, offers, providers, found, alone, 1)
    again = assignment_module._pack(requests, offers, providers, found, alone, 1)
    assert "+packed" in first.method and first.total_score > alone.total_score
    assert np.array_equal(first.request, again.request) and np.array_equal(first.offer, again.offer)


@pytest.mark.parametrize("large", [False, True])
def test_past_a_large_pool_the_hybrid_makes_one_improvement_pass_and_one_packing_sweep(monkeypatch, large):
    """On a million pairs the packing makes the later passes' moves itself, and a second sweep adds 0.04% for a
    third of a second: past `_LARGE_POOL_PAIRS` the hybrid makes one of each; below it, and in the auction alone
    (where no packing follows), the improvement's four passes and the packing's two sweeps stay."""
    market = SHAPES["scarce"](300, 3_000, 1)
    args = (market.requests, market.offers, market.providers, Weights(), 1)
    monkeypatch.setattr(assignment_module, "HYBRID_MAX_PAIRS", 0)
    if large:
        monkeypatch.setattr(assignment_module, "_LARGE_POOL_PAIRS", 100)
    calls = []
    real_improve, real_pack = assignment_module.improve, assignment_module.pack

    def spy_improve(*positional, **named):
        calls.append(("improve", named["max_passes"]))
        return real_improve(*positional, **named)

    def spy_pack(*positional):
        calls.append(("pack", positional[-1]))
        return real_pack(*positional)

    monkeypatch.setattr(assignment_module, "improve", spy_improve)
    monkeypatch.setattr(assignment_module, "pack", spy_pack)
    _, packed = match(*args, time_limit_seconds=30)
    assert "+packed" in packed.method
    assert calls == ([("improve", 1), ("pack", 1)] if large else [("improve", 4), ("pack", 2)])
    calls.clear()
    match(*args, solver="auction", time_limit_seconds=30)
    assert calls == [("improve", 4)]
