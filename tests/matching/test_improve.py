"""Local improvement (`improve.improve`): every move keeps the assignment feasible and raises the total."""

import itertools
import time

import numpy as np
import pytest

from keepers.matching.improve import best_first, improve, warm_up

from .improve_reference import improve as reference_improve


def random_instance(rng, n_requests, n_offers, n_providers, pairs_per_request):
    """Requests of 1-4 units, offers of 1-6 free units, providers whose stake binds."""
    request, offer = [], []
    for r in range(n_requests):
        for o in rng.choice(n_offers, size=min(pairs_per_request, n_offers), replace=False):
            request.append(r)
            offer.append(int(o))
    request, offer = np.array(request), np.array(offer)
    offer_provider = rng.integers(0, n_providers, n_offers)
    req_units = rng.integers(1, 5, n_requests).astype(np.float64)
    units = req_units[request]
    collateral = rng.choice([1.0, 2.0], n_offers)
    return {
        "request": request,
        "offer": offer,
        "provider": offer_provider[offer],
        "score": 1.0 + rng.random(len(request)),
        "units": units,
        "stake": units * collateral[offer],
        "free_units": rng.integers(1, 7, n_offers).astype(np.float64),
        "free_stake": rng.integers(2, 12, n_providers).astype(np.float64),
    }


def feasible(instance, chosen):
    r = instance["request"][chosen]
    used_units = np.bincount(
        instance["offer"][chosen], instance["units"][chosen], minlength=len(instance["free_units"])
    )
    used_stake = np.bincount(
        instance["provider"][chosen], instance["stake"][chosen], minlength=len(instance["free_stake"])
    )
    return (
        len(np.unique(r)) == len(r)
        and np.all(used_units <= instance["free_units"])
        and np.all(used_stake <= instance["free_stake"])
    )


def brute_force_optimum(instance):
    """Every assignment of each request to one of its pairs or none (tiny instances only)."""
    by_request = [np.flatnonzero(instance["request"] == r) for r in np.unique(instance["request"])]
    best = 0.0
    for choice in itertools.product(*[[-1, *pairs.tolist()] for pairs in by_request]):
        chosen = np.array([p for p in choice if p >= 0], dtype=np.int64)
        if feasible(instance, chosen):
            best = max(best, float(instance["score"][chosen].sum()))
    return best


@pytest.mark.parametrize("seed", range(30))
def test_improvement_stays_feasible_never_loses_and_never_beats_the_optimum(seed):
    rng = np.random.default_rng(seed)
    instance = random_instance(rng, 6, 4, 2, 2)
    # Start from nothing: every move is an insertion, ejection or relocation from there.
    chosen = improve(**instance, chosen=np.zeros(0, dtype=np.int64), deadline=time.monotonic() + 10)
    assert feasible(instance, chosen)
    total = float(instance["score"][chosen].sum())
    assert 0 < total <= brute_force_optimum(instance) + 1e-9


def greedy_start(instance):
    """Score greedy: a feasible start."""
    units_left, stake_left = instance["free_units"].copy(), instance["free_stake"].copy()
    served, start = set(), []
    for p in np.argsort(-instance["score"], kind="stable"):
        r, o, v = instance["request"][p], instance["offer"][p], instance["provider"][p]
        if r in served or instance["units"][p] > units_left[o] or instance["stake"][p] > stake_left[v]:
            continue
        served.add(r)
        units_left[o] -= instance["units"][p]
        stake_left[v] -= instance["stake"][p]
        start.append(p)
    return np.array(start, dtype=np.int64)


def test_improvement_of_a_greedy_start_on_larger_markets_raises_it_within_capacity():
    raised = 0
    for seed in range(10):
        instance = random_instance(np.random.default_rng(100 + seed), 300, 80, 30, 6)
        start = greedy_start(instance)
        chosen = improve(**instance, chosen=start, deadline=time.monotonic() + 10)
        assert feasible(instance, chosen)
        assert instance["score"][chosen].sum() >= instance["score"][start].sum()
        raised += instance["score"][chosen].sum() > instance["score"][start].sum() + 1e-9
    assert raised >= 5  # greedy strands capacity on most of these markets


def test_with_the_deadline_passed_the_start_comes_back_unchanged():
    instance = random_instance(np.random.default_rng(5), 50, 20, 5, 4)
    start = np.zeros(0, dtype=np.int64)
    assert len(improve(**instance, chosen=start, deadline=time.monotonic() - 1)) == 0


@pytest.mark.parametrize("chains", [True, False])
def test_a_chain_of_two_moves_joins_single_idle_units_for_a_waiting_request(chains):
    """Request 0 (2 units) fits only offer A, held by request 1 (2 units); 1 could move to B, which has one unit
    idle beside request 2 (1 unit), which could move to C's idle unit. No single move serves 0 (1 fits nowhere
    else alone, and trading 1 for 0 loses score); the chain of two does, and only with chains on."""
    # pairs: 0 r0-A, 1 r1-A, 2 r1-B, 3 r2-B, 4 r2-C
    request = np.array([0, 1, 1, 2, 2])
    offer = np.array([0, 0, 1, 1, 2])
    units = np.array([2.0, 2.0, 2.0, 1.0, 1.0])
    score = np.array([1.5, 1.6, 1.5, 1.4, 1.3])
    instance = {
        "request": request,
        "offer": offer,
        "provider": offer.copy(),
        "score": score,
        "units": units,
        "stake": units,
        "free_units": np.array([2.0, 2.0, 1.0]),
        "free_stake": np.array([10.0, 10.0, 10.0]),
    }
    start = np.array([1, 3])
    chosen = improve(**instance, chosen=start, deadline=time.monotonic() + 10, trades=True, chains=chains)
    assert feasible(instance, chosen)
    if chains:
        assert chosen.tolist() == [0, 2, 4]
        assert score[chosen].sum() == pytest.approx(4.3)
    else:
        assert chosen.tolist() == [1, 3]


@pytest.mark.parametrize("seed", range(40))
def test_the_numba_search_makes_the_moves_the_python_loops_made(seed):
    """The same result as the plain Python search (`improve_reference.improve`) on seeded markets of every size, from an
    empty and a greedy start, with trades and chains on and off."""
    rng = np.random.default_rng(1_000 + seed)
    instance = random_instance(
        rng, int(rng.integers(5, 300)), int(rng.integers(3, 100)), int(rng.integers(1, 30)), int(rng.integers(1, 9))
    )
    for start in (np.zeros(0, dtype=np.int64), greedy_start(instance)):
        for trades, chains in ((True, True), (True, False), (False, True)):
            options = {"chosen": start, "deadline": time.monotonic() + 60, "trades": trades, "chains": chains}
            want = reference_improve(**instance, **options)
            assert improve(**instance, **options).tolist() == want.tolist()


def test_warm_up_compiles_the_search_and_reports_its_time():
    assert warm_up() >= 0


@pytest.mark.parametrize("ties", [0.0, 0.002, 0.5])
@pytest.mark.parametrize("size", [0, 1, 2, 1_000, 200_000])
def test_best_first_is_the_stable_descending_sort(ties, size):
    """Highest first, equal values in index order, as `np.argsort(-values, kind="stable")`; runs of ties, zeros of
    both signs and NaNs included."""
    rng = np.random.default_rng(size)
    values = rng.random(size)
    tied = rng.random(size) < ties
    values[tied] = np.round(values[tied], 2)
    if size > 2:
        values[:3] = [0.0, -0.0, np.nan]
        values[-2:] = np.nan
    np.testing.assert_array_equal(best_first(values), np.argsort(-values, kind="stable"))
