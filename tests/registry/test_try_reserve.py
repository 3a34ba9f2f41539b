"""ProviderRegistry.tryReserve and checkMatch: one shared check, first failing reason, no change on skip."""

import pytest

from helpers import USD, ZERO_ADDRESS, b32, reverts_with_args
from registry.support import (
    DURATION_TOO_LONG,
    EU_WEST,
    MODEL_MISMATCH,
    NONE,
    OFFER_INACTIVE,
    OFFER_MAX_DURATION,
    OFFER_PRICE,
    OFFER_UNKNOWN,
    PRICE_TOO_HIGH,
    PROVIDER_IS_TENANT,
    REGION_MISMATCH,
    REPUTATION_TOO_LOW,
    STAKE,
    STAKE_INSUFFICIENT,
    TIER_TOO_LOW,
    UNITS_UNAVAILABLE,
    US_EAST,
    make_terms,
)

COLLATERAL = 2_000 * USD


def snapshot(registry, provider, offer_id):
    return tuple(registry.provider(provider)), tuple(registry.offer(offer_id)), registry.totalStake()


def test_when_terms_hold_then_units_reserved_and_collateral_locked(registry, staked, offer_id, market_caller, tenant):
    terms = make_terms(tenant, units=3)
    assert registry.checkMatch(offer_id, terms) == NONE
    tx = registry.tryReserve(offer_id, terms, {"from": market_caller})
    reason, reservation = tx.return_value
    assert reason == NONE
    assert tuple(reservation) == (staked, OFFER_PRICE, 3 * COLLATERAL)
    assert registry.offer(offer_id)["unitsInUse"] == 3
    facts = registry.provider(staked)
    assert facts["freeStake"] == STAKE - 3 * COLLATERAL
    assert facts["lockedStake"] == 3 * COLLATERAL
    assert registry.totalStake() == STAKE
    assert tx.events["CollateralLocked"] == {
        "provider": staked,
        "offerId": offer_id,
        "units": 3,
        "collateral": 3 * COLLATERAL,
    }


def test_when_any_model_with_enough_vram_then_matched(registry, offer_id, market_caller, tenant):
    terms = make_terms(tenant, gpuModel=b32(""), minVramGB=80, minTier=4, region=b32(""))
    tx = registry.tryReserve(offer_id, terms, {"from": market_caller})
    assert tx.return_value[0] == NONE


def test_when_free_stake_exactly_covers_collateral_then_matched(registry, staked, offer_id, market_caller, tenant):
    tx = registry.tryReserve(offer_id, make_terms(tenant, units=5), {"from": market_caller})
    assert tx.return_value[0] == NONE
    assert registry.provider(staked)["freeStake"] == 0


def test_when_paused_then_market_can_still_reserve(registry, config, governance, offer_id, market_caller, tenant):
    config.pause({"from": governance})
    tx = registry.tryReserve(offer_id, make_terms(tenant), {"from": market_caller})
    assert tx.return_value[0] == NONE


def _pause_offer(registry, provider, offer_id, **_):
    registry.pauseOffer(offer_id, True, {"from": provider})


def _remove_offer(registry, provider, offer_id, **_):
    registry.removeOffer(offer_id, {"from": provider})


SKIPS = {
    # case id: (offer id override, setup, term overrides, expected reason)
    "unknown_offer_zero": (0, None, {}, OFFER_UNKNOWN),
    "unknown_offer_past_count": (2, None, {}, OFFER_UNKNOWN),
    "paused_offer": (None, _pause_offer, {}, OFFER_INACTIVE),
    "removed_offer": (None, _remove_offer, {}, OFFER_INACTIVE),
    "provider_is_tenant": (None, None, {"tenant": "PROVIDER"}, PROVIDER_IS_TENANT),
    "other_model": (None, None, {"gpuModel": b32("nvidia-a100-40gb")}, MODEL_MISMATCH),
    "any_model_too_little_vram": (None, None, {"gpuModel": b32(""), "minVramGB": 81}, MODEL_MISMATCH),
    "tier_too_low": (None, None, {"minTier": 5}, TIER_TOO_LOW),
    "other_region": (None, None, {"region": US_EAST}, REGION_MISMATCH),
    "reputation_too_low": (None, None, {"minReputation": 5001}, REPUTATION_TOO_LOW),
    "price_too_high": (None, None, {"maxPricePerUnitHour": OFFER_PRICE - 1}, PRICE_TOO_HIGH),
    "duration_too_long": (None, None, {"durationSeconds": OFFER_MAX_DURATION + 1}, DURATION_TOO_LONG),
    "more_units_than_offered": (None, None, {"units": 9}, UNITS_UNAVAILABLE),
    "zero_units": (None, None, {"units": 0}, UNITS_UNAVAILABLE),
    "stake_insufficient": (None, None, {"units": 6}, STAKE_INSUFFICIENT),
}


@pytest.mark.parametrize("case", SKIPS)
def test_when_constraint_fails_then_reason_returned_and_nothing_changes(
    registry, staked, offer_id, market_caller, tenant, case
):
    id_override, setup, overrides, expected = SKIPS[case]
    target = offer_id if id_override is None else id_override
    if setup:
        setup(registry, staked, offer_id)
    overrides = {k: (staked.address if v == "PROVIDER" else v) for k, v in overrides.items()}
    terms = make_terms(tenant, **overrides)
    before = snapshot(registry, staked, offer_id)
    assert registry.checkMatch(target, terms) == expected
    tx = registry.tryReserve(target, terms, {"from": market_caller})
    assert tx.return_value[0] == expected
    assert tuple(tx.return_value[1]) == (ZERO_ADDRESS, 0, 0)
    assert "CollateralLocked" not in tx.events
    assert snapshot(registry, staked, offer_id) == before


def test_when_units_taken_by_earlier_match_then_units_unavailable(registry, offer_id, market_caller, tenant, provider2):
    registry.tryReserve(offer_id, make_terms(tenant, units=4), {"from": market_caller})
    # 4 of 8 in use; 5 more would exceed the offer (stake check comes later in the order).
    assert registry.checkMatch(offer_id, make_terms(provider2, units=5)) == UNITS_UNAVAILABLE
    assert registry.checkMatch(offer_id, make_terms(provider2, units=1)) == NONE


def test_when_several_constraints_fail_then_first_in_documented_order_is_returned(registry, staked, offer_id, tenant):
    failing = {
        "tenant": staked.address,
        "gpuModel": b32("nvidia-a100-40gb"),
        "minTier": 5,
        "region": US_EAST,
        "minReputation": 5001,
        "maxPricePerUnitHour": 1,
        "durationSeconds": OFFER_MAX_DURATION + 1,
        "units": 6,
    }
    fixes = [
        ("tenant", tenant.address, PROVIDER_IS_TENANT),
        ("gpuModel", b32("nvidia-h100-80gb"), MODEL_MISMATCH),
        ("minTier", 4, TIER_TOO_LOW),
        ("region", EU_WEST, REGION_MISMATCH),
        ("minReputation", 5000, REPUTATION_TOO_LOW),
        ("maxPricePerUnitHour", OFFER_PRICE, PRICE_TOO_HIGH),
        ("durationSeconds", OFFER_MAX_DURATION, DURATION_TOO_LONG),
        ("units", 5, STAKE_INSUFFICIENT),
    ]
    for field, fixed, expected in fixes:
        assert registry.checkMatch(offer_id, make_terms(tenant, **failing)) == expected
        failing[field] = fixed
    assert registry.checkMatch(offer_id, make_terms(tenant, **failing)) == NONE


def test_revert_when_caller_lacks_market_role(registry, config, offer_id, stranger, tenant):
    with reverts_with_args("Leasehold_MissingRole", config.MARKET_ROLE(), stranger.address):
        registry.tryReserve(offer_id, make_terms(tenant), {"from": stranger})


def test_revert_when_market_role_revoked(registry, config, governance, offer_id, market_caller, tenant):
    config.setRole(config.MARKET_ROLE(), market_caller, False, {"from": governance})
    with reverts_with_args("Leasehold_MissingRole", config.MARKET_ROLE(), market_caller.address):
        registry.tryReserve(offer_id, make_terms(tenant), {"from": market_caller})
