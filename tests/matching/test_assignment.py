"""The matcher's assignment: optimal on small batches, always within capacity."""

import itertools

import numpy as np
import pytest

from keepers.matching import (
    OfferBook,
    ProviderBook,
    RequestBook,
    Weights,
    candidates,
    first_come_greedy,
    greedy_by_score,
    solve,
)


def random_market(rng, n_requests, n_offers, n_providers):
    models = rng.integers(1, 3, n_offers)
    offers = OfferBook(
        ids=np.arange(1, n_offers + 1),
        provider=rng.integers(0, n_providers, n_offers),
        gpu_model=models,
        vram=np.where(models == 1, 24, 80),
        tier=np.where(models == 1, 1, 4),
        region=rng.integers(1, 3, n_offers),
        price=rng.integers(80, 120, n_offers) * models,
        max_duration=np.full(n_offers, 10 * 3600),
        units=np.full(n_offers, 8),
        free_units=rng.integers(1, 5, n_offers),
        collateral_per_unit=np.full(n_offers, 100),
    )
    providers = ProviderBook(
        address=np.arange(1, n_providers + 1),
        free_stake=rng.integers(1, 8, n_providers) * 100,
        reputation=rng.integers(0, 10_001, n_providers),
        uptime=rng.integers(5_000, 10_001, n_providers),
        slash_count=rng.integers(0, 3, n_providers),
        completed=rng.integers(0, 10, n_providers),
    )
    wanted = rng.integers(0, 3, n_requests)
    requests = RequestBook(
        ids=np.arange(1, n_requests + 1),
        tenant=rng.integers(1, n_providers + 3, n_requests),
        gpu_model=wanted,
        min_vram=np.where(wanted == 0, 48, 0),
        units=rng.integers(1, 4, n_requests),
        region=rng.integers(0, 3, n_requests),
        min_tier=np.zeros(n_requests, dtype=np.int64),
        min_reputation=rng.integers(0, 5_000, n_requests),
        max_price=rng.integers(90, 260, n_requests),
        duration=np.full(n_requests, 3600),
    )
    return requests, offers, providers


def brute_force_best(requests, offers, providers, cands):
    """The optimum by enumerating every choice of at most one candidate per request."""
    by_request = {}
    for p in range(len(cands)):
        by_request.setdefault(int(cands.request[p]), []).append(p)
    options = [[None, *ps] for ps in by_request.values()]
    best = 0.0
    for choice in itertools.product(*options):
        chosen = [p for p in choice if p is not None]
        if within_capacity(requests, offers, providers, cands.request[chosen], cands.offer[chosen]):
            best = max(best, float(cands.score[chosen].sum()))
    return best


def within_capacity(requests, offers, providers, req_rows, offer_rows):
    units = np.zeros(len(offers))
    stake = np.zeros(len(providers))
    for r, o in zip(req_rows, offer_rows):
        units[o] += requests.units[r]
        stake[offers.provider[o]] += requests.units[r] * offers.collateral_per_unit[o]
    return bool(np.all(units <= offers.free_units) and np.all(stake <= providers.free_stake))


@pytest.mark.parametrize("seed", range(12))
def test_solve_reaches_the_brute_force_optimum_on_small_batches(seed):
    rng = np.random.default_rng(seed)
    requests, offers, providers = random_market(rng, n_requests=6, n_offers=4, n_providers=3)
    cands = candidates(requests, offers, providers, Weights(), seed=seed)
    assignment = solve(requests, offers, providers, cands)
    assert assignment.total_score == pytest.approx(brute_force_best(requests, offers, providers, cands), abs=1e-9)
    assert within_capacity(requests, offers, providers, assignment.request, assignment.offer)
    assert len(set(assignment.request.tolist())) == len(assignment)


@pytest.mark.parametrize("method", [solve, greedy_by_score, first_come_greedy])
def test_every_method_respects_units_stake_and_one_offer_per_request(method):
    rng = np.random.default_rng(99)
    requests, offers, providers = random_market(rng, n_requests=200, n_offers=60, n_providers=20)
    cands = candidates(requests, offers, providers, Weights(), seed=7)
    assignment = method(requests, offers, providers, cands)
    assert len(assignment) > 0
    assert within_capacity(requests, offers, providers, assignment.request, assignment.offer)
    assert len(set(assignment.request.tolist())) == len(assignment)


def test_solve_never_scores_below_greedy():
    rng = np.random.default_rng(5)
    requests, offers, providers = random_market(rng, n_requests=300, n_offers=50, n_providers=15)
    cands = candidates(requests, offers, providers, Weights(), seed=1)
    best = solve(requests, offers, providers, cands)
    assert best.total_score >= greedy_by_score(requests, offers, providers, cands).total_score - 1e-9
    assert best.total_score >= first_come_greedy(requests, offers, providers, cands).total_score - 1e-9


def test_an_empty_batch_assigns_nothing():
    rng = np.random.default_rng(0)
    requests, offers, providers = random_market(rng, n_requests=0, n_offers=3, n_providers=2)
    assignment = solve(requests, offers, providers, candidates(requests, offers, providers, Weights(), seed=0))
    assert len(assignment) == 0 and assignment.total_score == 0
