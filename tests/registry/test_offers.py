"""ProviderRegistry.addOffer, updateOffer, pauseOffer and removeOffer."""

import pytest

from helpers import DAY, USD, b32, reverts_with, reverts_with_args
from registry.support import OFFER_MAX_DURATION, OFFER_PRICE, make_terms

YEAR = 365 * DAY


# ------------------------------------------------------------------ addOffer


def test_when_provider_adds_offer_then_it_is_stored_with_id_one(registry, registered, h100):
    tx = registry.addOffer(h100, 4, 3 * USD, 7 * DAY, {"from": registered})
    assert tx.return_value == 1
    assert registry.offerCount() == 1
    # A new offer takes no jobs until its provider sets a job policy.
    assert tuple(registry.offer(1)) == (registered, 4, 0, False, False, tx.timestamp, h100, 3 * USD, 7 * DAY, 0, 0)
    assert tx.events["OfferAdded"] == {
        "offerId": 1,
        "provider": registered,
        "gpuModel": h100,
        "units": 4,
        "pricePerUnitHour": 3 * USD,
        "maxDurationSeconds": 7 * DAY,
    }


def test_when_second_offer_added_then_ids_count_up(registry, registered, h100):
    registry.addOffer(h100, 1, USD, DAY, {"from": registered})
    tx = registry.addOffer(h100, 2, USD, DAY, {"from": registered})
    assert tx.return_value == 2
    assert registry.offerCount() == 2


@pytest.mark.parametrize("units,duration", [(1, 3600), (1024, YEAR)])
def test_when_terms_at_bounds_then_accepted(registry, registered, h100, units, duration):
    registry.addOffer(h100, units, 1, duration, {"from": registered})
    assert registry.offer(1)["units"] == units
    assert registry.offer(1)["maxDurationSeconds"] == duration


def test_revert_when_not_registered(registry, stranger, h100):
    with reverts_with_args("ProviderRegistry_NotRegistered", stranger.address):
        registry.addOffer(h100, 1, USD, DAY, {"from": stranger})


def test_revert_when_model_not_in_catalogue(registry, registered):
    with reverts_with("ProviderRegistry_GpuModelNotListed"):
        registry.addOffer(b32("nvidia-gtx-480"), 1, USD, DAY, {"from": registered})


def test_revert_when_model_delisted(registry, config, governance, registered, h100):
    config.setGpuModel(h100, 80, 4, 2_000 * USD, False, {"from": governance})
    with reverts_with("ProviderRegistry_GpuModelNotListed"):
        registry.addOffer(h100, 1, USD, DAY, {"from": registered})


@pytest.mark.parametrize("units", [0, 1025])
def test_revert_when_units_out_of_bounds(registry, registered, h100, units):
    with reverts_with_args("ProviderRegistry_InvalidUnits", units, 1024):
        registry.addOffer(h100, units, USD, DAY, {"from": registered})


def test_revert_when_price_zero(registry, registered, h100):
    with reverts_with_args("ProviderRegistry_InvalidPrice", 0):
        registry.addOffer(h100, 1, 0, DAY, {"from": registered})


@pytest.mark.parametrize("duration", [3599, YEAR + 1])
def test_revert_when_max_duration_out_of_bounds(registry, registered, h100, duration):
    with reverts_with_args("ProviderRegistry_InvalidMaxDuration", duration, 3600, YEAR):
        registry.addOffer(h100, 1, USD, duration, {"from": registered})


def test_revert_when_paused(registry, config, governance, registered, h100):
    config.pause({"from": governance})
    with reverts_with("Leasehold_Paused"):
        registry.addOffer(h100, 1, USD, DAY, {"from": registered})


# ------------------------------------------------------------------ updateOffer


def test_when_owner_updates_offer_then_terms_change(registry, staked, offer_id):
    tx = registry.updateOffer(offer_id, 16, 5 * USD, 2 * DAY, {"from": staked})
    offer = registry.offer(offer_id)
    assert (offer["units"], offer["pricePerUnitHour"], offer["maxDurationSeconds"]) == (16, 5 * USD, 2 * DAY)
    assert tx.events["OfferUpdated"] == {
        "offerId": offer_id,
        "units": 16,
        "pricePerUnitHour": 5 * USD,
        "maxDurationSeconds": 2 * DAY,
    }


def test_when_paused_then_owner_can_still_update(registry, config, governance, staked, offer_id):
    config.pause({"from": governance})
    registry.updateOffer(offer_id, 1, USD, DAY, {"from": staked})
    assert registry.offer(offer_id)["units"] == 1


def test_when_units_lowered_to_units_in_use_then_accepted(registry, staked, offer_id, market_caller, tenant):
    registry.tryReserve(offer_id, make_terms(tenant, units=3), {"from": market_caller})
    registry.updateOffer(offer_id, 3, OFFER_PRICE, OFFER_MAX_DURATION, {"from": staked})
    assert registry.offer(offer_id)["units"] == 3


def test_revert_when_units_below_units_in_use(registry, staked, offer_id, market_caller, tenant):
    registry.tryReserve(offer_id, make_terms(tenant, units=3), {"from": market_caller})
    with reverts_with_args("ProviderRegistry_UnitsBelowInUse", 2, 3):
        registry.updateOffer(offer_id, 2, OFFER_PRICE, OFFER_MAX_DURATION, {"from": staked})


@pytest.mark.parametrize("unknown_id", [0, 2, 2**256 - 1])
def test_revert_when_updating_unknown_offer(registry, staked, offer_id, unknown_id):
    with reverts_with_args("ProviderRegistry_OfferNotFound", unknown_id):
        registry.updateOffer(unknown_id, 1, USD, DAY, {"from": staked})


def test_revert_when_stranger_updates(registry, offer_id, stranger):
    with reverts_with_args("ProviderRegistry_NotOfferOwner", offer_id, stranger.address):
        registry.updateOffer(offer_id, 1, USD, DAY, {"from": stranger})


def test_revert_when_updating_removed_offer(registry, staked, offer_id):
    registry.removeOffer(offer_id, {"from": staked})
    with reverts_with_args("ProviderRegistry_OfferRemoved", offer_id):
        registry.updateOffer(offer_id, 1, USD, DAY, {"from": staked})


def test_revert_when_update_units_zero(registry, staked, offer_id):
    with reverts_with_args("ProviderRegistry_InvalidUnits", 0, 1024):
        registry.updateOffer(offer_id, 0, USD, DAY, {"from": staked})


def test_revert_when_update_price_zero(registry, staked, offer_id):
    with reverts_with_args("ProviderRegistry_InvalidPrice", 0):
        registry.updateOffer(offer_id, 1, 0, DAY, {"from": staked})


def test_revert_when_update_duration_too_long(registry, staked, offer_id):
    with reverts_with_args("ProviderRegistry_InvalidMaxDuration", YEAR + 1, 3600, YEAR):
        registry.updateOffer(offer_id, 1, USD, YEAR + 1, {"from": staked})


# ------------------------------------------------------------------ pauseOffer


def test_when_owner_pauses_offer_then_paused_and_emitted(registry, staked, offer_id):
    tx = registry.pauseOffer(offer_id, True, {"from": staked})
    assert registry.offer(offer_id)["paused"] is True
    assert tx.events["OfferPauseSet"] == {"offerId": offer_id, "paused": True}


def test_when_owner_unpauses_offer_then_active_again(registry, staked, offer_id):
    registry.pauseOffer(offer_id, True, {"from": staked})
    tx = registry.pauseOffer(offer_id, False, {"from": staked})
    assert registry.offer(offer_id)["paused"] is False
    assert tx.events["OfferPauseSet"] == {"offerId": offer_id, "paused": False}


def test_revert_when_unpausing_an_active_offer(registry, staked, offer_id):
    with reverts_with_args("ProviderRegistry_OfferPausedAlready", offer_id, False):
        registry.pauseOffer(offer_id, False, {"from": staked})


def test_revert_when_pausing_a_paused_offer(registry, staked, offer_id):
    registry.pauseOffer(offer_id, True, {"from": staked})
    with reverts_with_args("ProviderRegistry_OfferPausedAlready", offer_id, True):
        registry.pauseOffer(offer_id, True, {"from": staked})


def test_revert_when_stranger_pauses_offer(registry, offer_id, stranger):
    with reverts_with_args("ProviderRegistry_NotOfferOwner", offer_id, stranger.address):
        registry.pauseOffer(offer_id, True, {"from": stranger})


def test_revert_when_pausing_unknown_offer(registry, staked):
    with reverts_with_args("ProviderRegistry_OfferNotFound", 7):
        registry.pauseOffer(7, True, {"from": staked})


def test_revert_when_pausing_removed_offer(registry, staked, offer_id):
    registry.removeOffer(offer_id, {"from": staked})
    with reverts_with_args("ProviderRegistry_OfferRemoved", offer_id):
        registry.pauseOffer(offer_id, True, {"from": staked})


# ------------------------------------------------------------------ removeOffer


def test_when_owner_removes_offer_then_removed_and_emitted(registry, staked, offer_id):
    tx = registry.removeOffer(offer_id, {"from": staked})
    assert registry.offer(offer_id)["removed"] is True
    assert tx.events["OfferRemoved"] == {"offerId": offer_id}


def test_when_offer_removed_with_units_in_use_then_they_stay_until_released(
    registry, staked, offer_id, market_caller, tenant
):
    registry.tryReserve(offer_id, make_terms(tenant, units=2), {"from": market_caller})
    registry.removeOffer(offer_id, {"from": staked})
    assert registry.offer(offer_id)["unitsInUse"] == 2
    registry.release((staked, offer_id, 2, 4_000 * USD), 1, 0, {"from": market_caller})
    assert registry.offer(offer_id)["unitsInUse"] == 0
    assert registry.provider(staked)["lockedStake"] == 0


def test_revert_when_removed_twice(registry, staked, offer_id):
    registry.removeOffer(offer_id, {"from": staked})
    with reverts_with_args("ProviderRegistry_OfferRemoved", offer_id):
        registry.removeOffer(offer_id, {"from": staked})


def test_revert_when_stranger_removes(registry, offer_id, stranger):
    with reverts_with_args("ProviderRegistry_NotOfferOwner", offer_id, stranger.address):
        registry.removeOffer(offer_id, {"from": stranger})


def test_revert_when_removing_unknown_offer(registry, staked):
    with reverts_with_args("ProviderRegistry_OfferNotFound", 0):
        registry.removeOffer(0, {"from": staked})


def test_when_provider_sets_a_job_policy_then_it_is_stored_and_emitted(registry, registered, h100):
    offer_id = registry.addOffer(h100, 4, 3 * USD, 7 * DAY, {"from": registered}).return_value
    tx = registry.setOfferJobPolicy(offer_id, 1_000, 300, {"from": registered})
    assert tx.events["OfferJobPolicySet"] == {
        "offerId": offer_id,
        "stepsPerSecond": 1_000,
        "minResultTimeoutSeconds": 300,
    }
    assert tuple(registry.offer(offer_id))[9:] == (1_000, 300)


def test_revert_when_a_job_policy_asks_more_setup_than_any_job_may_last(registry, registered, h100):
    offer_id = registry.addOffer(h100, 4, 3 * USD, 7 * DAY, {"from": registered}).return_value
    with reverts_with("ProviderRegistry_InvalidJobPolicy"):
        registry.setOfferJobPolicy(offer_id, 1, 30 * DAY + 1, {"from": registered})


def test_revert_when_a_stranger_sets_an_offers_job_policy(registry, registered, h100, accounts):
    offer_id = registry.addOffer(h100, 4, 3 * USD, 7 * DAY, {"from": registered}).return_value
    with reverts_with("ProviderRegistry_NotOfferOwner"):
        registry.setOfferJobPolicy(offer_id, 1, 0, {"from": accounts[9]})
