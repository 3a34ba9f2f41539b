"""Feasibility and scores of (request, offer) pairs."""

import numpy as np
import pytest

from keepers.matching import OfferBook, ProviderBook, RequestBook, Weights, candidates, seed_from_block_hash
from keepers.matching.scoring import pair_randomness


def one_offer(**overrides):
    fields = dict(
        ids=[7],
        provider=[0],
        gpu_model=[1],
        vram=[80],
        tier=[4],
        region=[2],
        price=[100],
        max_duration=[7200],
        units=[4],
        free_units=[4],
        collateral_per_unit=[10],
    )
    fields.update(overrides)
    return OfferBook(**{k: np.asarray(v, dtype=np.int64) for k, v in fields.items()})


def one_provider(**overrides):
    fields = dict(address=[5], free_stake=[1000], reputation=[6000], uptime=[9000], slash_count=[0], completed=[3])
    fields.update(overrides)
    return ProviderBook(**{k: np.asarray(v, dtype=np.int64) for k, v in fields.items()})


def one_request(**overrides):
    fields = dict(
        ids=[3],
        tenant=[9],
        gpu_model=[1],
        min_vram=[0],
        units=[2],
        region=[0],
        min_tier=[0],
        min_reputation=[0],
        max_price=[150],
        duration=[3600],
    )
    fields.update(overrides)
    return RequestBook(**{k: np.asarray(v, dtype=np.int64) for k, v in fields.items()})


def pairs(request=None, offer=None, provider=None):
    c = candidates(request or one_request(), offer or one_offer(), provider or one_provider(), Weights(), seed=1)
    return len(c)


def test_given_every_constraint_holds_the_pair_is_a_candidate():
    assert pairs() == 1


@pytest.mark.parametrize(
    "request_fields, offer_fields, provider_fields",
    [
        ({"tenant": [5]}, {}, {}),  # provider is the tenant
        ({"gpu_model": [2]}, {}, {}),  # another model
        ({"gpu_model": [0], "min_vram": [96]}, {}, {}),  # any model, too little vRAM
        ({"min_tier": [4]}, {"tier": [3]}, {}),
        ({"region": [1]}, {}, {}),
        ({"min_reputation": [6001]}, {}, {}),
        ({"max_price": [99]}, {}, {}),
        ({"duration": [7201]}, {}, {}),
        ({"units": [5]}, {}, {}),
        ({}, {}, {"free_stake": [19]}),  # 2 units x 10 collateral needs 20
    ],
)
def test_given_one_constraint_fails_the_pair_is_dropped(request_fields, offer_fields, provider_fields):
    assert pairs(one_request(**request_fields), one_offer(**offer_fields), one_provider(**provider_fields)) == 0


def test_any_model_request_with_enough_vram_meets_every_model():
    assert pairs(request=one_request(gpu_model=[0], min_vram=[80])) == 1


def test_cheaper_offer_scores_higher_all_else_equal():
    offers = one_offer(
        ids=[1, 2],
        provider=[0, 0],
        gpu_model=[1, 1],
        vram=[80, 80],
        tier=[4, 4],
        region=[2, 2],
        price=[100, 140],
        max_duration=[7200, 7200],
        units=[4, 4],
        free_units=[4, 4],
        collateral_per_unit=[10, 10],
    )
    c = candidates(one_request(), offers, one_provider(), Weights(randomness=0), seed=1)
    score = dict(zip(offers.ids[c.offer].tolist(), c.score.tolist()))
    assert score[1] > score[2]


def test_randomness_is_replayable_and_depends_on_the_seed():
    rids, oids = np.arange(1, 1001), np.arange(1001, 2001)
    first = pair_randomness(11, rids, oids)
    assert np.array_equal(first, pair_randomness(11, rids, oids))
    assert not np.array_equal(first, pair_randomness(12, rids, oids))
    assert first.min() >= 0 and first.max() < 1 and 0.45 < first.mean() < 0.55


def test_seed_comes_from_the_block_hash():
    assert seed_from_block_hash(b"\x01" * 32) != seed_from_block_hash(b"\x02" * 32)
    assert seed_from_block_hash(b"\x01" * 32) == seed_from_block_hash(b"\x01" * 32)


def test_top_k_keeps_each_requests_best_offers():
    n = 10
    offers = one_offer(
        **{
            k: [v[0]] * n
            for k, v in dict(
                provider=[0],
                gpu_model=[1],
                vram=[80],
                tier=[4],
                region=[2],
                max_duration=[7200],
                units=[4],
                free_units=[4],
                collateral_per_unit=[10],
            ).items()
        },
        ids=list(range(1, n + 1)),
        price=list(range(100, 100 + n)),
    )
    c = candidates(one_request(), offers, one_provider(), Weights(randomness=0), seed=1, top_k=3)
    assert sorted(offers.ids[c.offer].tolist()) == [1, 2, 3]


def test_weights_refuse_a_negative_value_in_one_line():
    with pytest.raises(ValueError, match="matching weight price must be a number in \\[0, 100\\]"):
        Weights(price=-1)
