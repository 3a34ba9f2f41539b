"""Sharding and pruning keep exactly each request's top-k feasible pairs: checked pair by pair against brute force."""

import numpy as np
import pytest

from keepers.matching import Weights, candidates
from keepers.matching.scoring import BPS, pair_randomness
from keepers.matching.synthetic import generate

from .scoring_cases import cases, digest


def brute_force_top_k(requests, offers, providers, weights, seed, k):
    """Every (request, offer) pair checked and scored one at a time, as docs/matching.md states the rules."""
    best = {}
    for r in range(len(requests)):
        scored = []
        for o in range(len(offers)):
            p = offers.provider[o]
            units = requests.units[r]
            if requests.gpu_model[r] == 0:
                model_ok = offers.vram[o] >= requests.min_vram[r]
            else:
                model_ok = offers.gpu_model[o] == requests.gpu_model[r]
            feasible = (
                providers.address[p] != requests.tenant[r]
                and model_ok
                and offers.tier[o] >= requests.min_tier[r]
                and (requests.region[r] == 0 or offers.region[o] == requests.region[r])
                and providers.reputation[p] >= requests.min_reputation[r]
                and offers.price[o] <= requests.max_price[r]
                and requests.duration[r] <= offers.max_duration[o]
                and units <= offers.free_units[o]
                and providers.free_stake[p] >= units * offers.collateral_per_unit[o]
            )
            if not feasible:
                continue
            slashes = providers.slash_count[p]
            required = units * offers.collateral_per_unit[o]
            score = (
                weights.match
                + weights.price * (1 - offers.price[o] / max(requests.max_price[r], 1))
                + weights.region * (0.5 if requests.region[r] == 0 else 1.0)
                + weights.uptime * providers.uptime[p] / BPS
                + weights.reputation * providers.reputation[p] / BPS
                + weights.capacity * offers.free_units[o] / max(offers.units[o], 1)
                + weights.slash_rate * (1 - slashes / (slashes + providers.completed[p] + 1))
                + weights.stake * min(1.0, providers.free_stake[p] / max(4 * required, 1))
                + weights.randomness
                * float(pair_randomness(seed, np.array([requests.ids[r]]), np.array([offers.ids[o]]))[0])
            )
            scored.append((score, o))
        scored.sort(reverse=True)
        for score, o in scored[:k]:
            best[(r, o)] = score
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 32])
def test_candidates_are_exactly_each_requests_top_k_feasible_pairs(seed, k):
    market = generate(40, 300, seed=seed)
    expected = brute_force_top_k(market.requests, market.offers, market.providers, Weights(), seed, k)
    found = candidates(market.requests, market.offers, market.providers, Weights(), seed, top_k=k)
    got = dict(zip(zip(found.request.tolist(), found.offer.tolist()), found.score.tolist()))
    assert got.keys() == expected.keys()
    for pair, score in expected.items():
        assert got[pair] == pytest.approx(score, rel=1e-12)


def test_pruning_by_the_randomness_bound_drops_no_pair_of_the_top_k_when_randomness_dominates():
    # A large randomness weight makes the base-score floor prune least, and ties least likely.
    weights = Weights(randomness=5.0)
    market = generate(30, 400, seed=21)
    expected = brute_force_top_k(market.requests, market.offers, market.providers, weights, 3, 4)
    found = candidates(market.requests, market.offers, market.providers, weights, 3, top_k=4)
    assert set(zip(found.request.tolist(), found.offer.tolist())) == expected.keys()


def test_candidates_come_sorted_by_request_then_offer():
    market = generate(50, 500, seed=4)
    found = candidates(market.requests, market.offers, market.providers, Weights(), 4)
    key = found.request * len(market.offers) + found.offer
    assert len(found) > 0 and np.all(np.diff(key) > 0)


def test_token_scale_amounts_score_like_small_ones():
    """Prices and stake of an 18-decimal token are float64 past 2**63: scores must not move."""
    market = generate(30, 300, seed=8)
    found = candidates(market.requests, market.offers, market.providers, Weights(), 8)
    expected = brute_force_top_k(market.requests, market.offers, market.providers, Weights(), 8, 32)
    assert np.allclose(
        found.score, [expected[p] for p in zip(found.request.tolist(), found.offer.tolist())], rtol=1e-12
    )
    assert market.offers.collateral_per_unit.min() >= 1e20


# `candidates` and `requests_drawn` on seeded markets of every shape, as the NumPy scoring before numba returned
# them (main at 6fe228a; scoring_cases.py): the same pairs, in the same order, with the same scores to the bit.
RECORDED = {
    "scarce top 16": "02c695060d1ed6b0",  # 1958 pairs
    "scarce top 128 by score": "d19e03d83d8f4d9b",  # 4526 pairs
    "scarce pricing top 8": "61f4d516da19278e",  # 1075 pairs
    "scarce no randomness top 3": "d8f7c0cd7d34e2ce",  # 664 pairs
    "scarce drawn 8": "cb1cc28636e57edd",  # 580 pairs
    "scarce jobs and exclusions top 32": "fb681c4b6a5166c7",  # 2460 pairs
    "multi-unit top 16": "b474691e890b1df9",  # 4134 pairs
    "multi-unit top 128 by score": "2c54ee169ea584b5",  # 19492 pairs
    "multi-unit pricing top 8": "298e712c40cef549",  # 1793 pairs
    "multi-unit no randomness top 3": "cbc4352dfec158ec",  # 864 pairs
    "multi-unit drawn 8": "c71ec6952f42af58",  # 3989 pairs
    "multi-unit jobs and exclusions top 32": "d4a2e7feffc32297",  # 6824 pairs
    "heavy-tailed top 16": "57d24835f599ef8f",  # 3389 pairs
    "heavy-tailed top 128 by score": "d7eecd7a3d59b6ab",  # 11573 pairs
    "heavy-tailed pricing top 8": "053fb33e4ec800be",  # 1626 pairs
    "heavy-tailed no randomness top 3": "3ecb8aabdeeeb88f",  # 790 pairs
    "heavy-tailed drawn 8": "272ae39947510627",  # 2555 pairs
    "heavy-tailed jobs and exclusions top 32": "6aabea0782c6252e",  # 4910 pairs
    "region-fragmented top 16": "7280ae45ab3ec663",  # 1051 pairs
    "region-fragmented top 128 by score": "d42c0ed922e09337",  # 1098 pairs
    "region-fragmented pricing top 8": "586edf9fc6110f17",  # 715 pairs
    "region-fragmented no randomness top 3": "0b48470470d61592",  # 486 pairs
    "region-fragmented drawn 8": "5e9e9c94aa279e60",  # 305 pairs
    "region-fragmented jobs and exclusions top 32": "89564442f52ae445",  # 869 pairs
    "near-ties top 16": "fc513aacc1ee6ff6",  # 2327 pairs
    "near-ties top 128 by score": "7d8bbe4e4728ce0f",  # 10550 pairs
    "near-ties pricing top 8": "3d84d4d3133ab1bb",  # 1086 pairs
    "near-ties no randomness top 3": "b48e6098dcdfb12f",  # 499 pairs
    "near-ties drawn 8": "6bc15bc06a0da3ed",  # 3374 pairs
    "near-ties jobs and exclusions top 32": "839ed563126c5198",  # 3741 pairs
}


def test_numba_scoring_returns_exactly_what_the_numpy_block_scoring_did():
    found = {name: digest(thunk()) for name, thunk in cases()}
    assert found == RECORDED
