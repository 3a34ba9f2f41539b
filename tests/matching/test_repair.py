"""A batch with no dominated pair (docs/matching-accountability.md): every planned request whose
constraints a strictly cheaper offer with room meets is moved to the cheapest such offer."""

import numpy as np

from keepers.matching import OfferBook, ProviderBook, RequestBook, Weights, match
from keepers.matching.repair import undominated
from keepers.matching.synthetic import generate


def _i(*values):
    return np.array(values, dtype=np.int64)


def _f(*values):
    return np.array(values, dtype=np.float64)


def _books(prices, free_units, stakes=(1e9, 1e9, 1e9), regions=(1, 1, 2)):
    n = len(prices)
    offers = OfferBook(
        ids=_i(*range(1, n + 1)),
        provider=_i(*range(n)),
        gpu_model=_i(*[1] * n),
        vram=_i(*[80] * n),
        tier=_i(*[4] * n),
        region=_i(*regions[:n]),
        price=_f(*prices),
        max_duration=_i(*[86_400] * n),
        units=_i(*[8] * n),
        free_units=_i(*free_units),
        collateral_per_unit=_f(*[10.0] * n),
    )
    providers = ProviderBook(
        address=_i(*range(10, 10 + n)),
        free_stake=_f(*stakes[:n]),
        reputation=_i(*[5000] * n),
        uptime=_i(*[10_000] * n),
        slash_count=_i(*[0] * n),
        completed=_i(*[0] * n),
    )
    return offers, providers


def _requests(count, units=2, region=0, tenant=99):
    return RequestBook(
        ids=_i(*range(1, count + 1)),
        tenant=_i(*[tenant] * count),
        gpu_model=_i(*[1] * count),
        min_vram=_i(*[0] * count),
        units=_i(*[units] * count),
        region=_i(*[region] * count),
        min_tier=_i(*[0] * count),
        min_reputation=_i(*[0] * count),
        max_price=_f(*[3.0] * count),
        duration=_i(*[3600] * count),
    )


def test_a_pair_left_on_a_dearer_offer_moves_to_the_cheapest_with_room():
    offers, providers = _books(prices=(3.0, 2.0, 1.0), free_units=(8, 8, 8))
    _, moved = undominated(_requests(1), offers, providers, _i(0), _i(0))
    assert moved.tolist() == [2]  # the 1.0 offer


def test_the_batchs_own_allocations_count_so_a_full_cheaper_offer_dominates_nothing():
    offers, providers = _books(prices=(3.0, 2.0), free_units=(8, 2))
    # Request 1 takes the cheap offer's last two units; request 2 on the dear one is not dominated.
    rows, moved = undominated(_requests(2), offers, providers, _i(0, 1), _i(1, 0))
    assert dict(zip(rows.tolist(), moved.tolist())) == {0: 1, 1: 0}


def test_constraints_hold_region_stake_and_the_tenants_own_offer():
    offers, providers = _books(prices=(3.0, 1.0, 1.0), free_units=(8, 8, 8), stakes=(1e9, 5.0, 1e9))
    # Offer 2 (row 1) lacks the stake for 2 units × 10; offer 3 (row 2) is in region 2, not 1.
    _, moved = undominated(_requests(1, region=1), offers, providers, _i(0), _i(0))
    assert moved.tolist() == [0]
    # The tenant's own offer never takes its request.
    _, moved = undominated(_requests(1, tenant=12), offers, providers, _i(0), _i(0))
    assert moved.tolist() == [0]


def test_a_matched_batch_has_no_dominated_pair_after_the_repair():
    market = generate(60, 40, seed=7)
    requests, offers, providers = market.requests, market.offers, market.providers
    _, assignment = match(requests, offers, providers, Weights(), seed=7, time_limit_seconds=5.0)
    rows, moved = undominated(requests, offers, providers, assignment.request, assignment.offer)
    assert len(rows) == len(assignment.request)
    # Fixpoint: a second repair moves nothing, and no request pays more than before.
    again = undominated(requests, offers, providers, rows, moved)[1]
    assert again.tolist() == moved.tolist()
    assert (offers.price[moved] <= offers.price[assignment.offer]).all()
