"""ProviderRegistry.release and recordOutcome."""

import pytest

from helpers import USD, ZERO_ADDRESS, reverts_with_args
from registry.support import (
    JOB_FINALIZED,
    LEASE_COMPLETED,
    LIVENESS_ANSWERED,
    OUTCOME_NONE,
    STAKE,
    make_terms,
    settlement,
)

COLLATERAL = 2_000 * USD
COUNTER = {LEASE_COMPLETED: "leasesCompleted", JOB_FINALIZED: "jobsFinalized", LIVENESS_ANSWERED: "livenessAnswered"}


@pytest.fixture
def reserved(registry, staked, offer_id, market_caller, tenant):
    """3 units of offer 1 reserved, 6,000 USD locked."""
    registry.tryReserve(offer_id, make_terms(tenant, units=3), {"from": market_caller})
    return settlement(staked, offer_id, 3, 3 * COLLATERAL)


@pytest.mark.parametrize("outcome", [LEASE_COMPLETED, JOB_FINALIZED, LIVENESS_ANSWERED])
def test_when_match_ends_clean_then_units_and_collateral_return_and_outcome_counts(
    registry, staked, offer_id, market_caller, reserved, outcome
):
    tx = registry.release(reserved, outcome, 0, {"from": market_caller})
    facts = registry.provider(staked)
    assert registry.offer(offer_id)["unitsInUse"] == 0
    assert facts["freeStake"] == STAKE
    assert facts["lockedStake"] == 0
    assert facts[COUNTER[outcome]] == 1
    assert registry.totalStake() == STAKE
    # An outcome without a protocol fee raises no reputation; an answered liveness challenge is
    # recorded for uptime only (issue 12, property 9).
    assert registry.reputationOf(staked) == 5000
    assert tx.events["CollateralReleased"] == {
        "provider": staked,
        "offerId": offer_id,
        "units": 3,
        "collateral": 3 * COLLATERAL,
    }
    assert tx.events["OutcomeRecorded"] == {"provider": staked, "outcome": outcome}


@pytest.mark.parametrize("outcome", [LEASE_COMPLETED, OUTCOME_NONE])
def test_reputation_grows_with_the_protocol_fee_paid_one_point_per_twenty_cents(
    registry, staked, market_caller, reserved, outcome
):
    # 20.0009 USD of fees: 20,000 units of 0.001 USD counted (the rest floors), 100 points; an
    # outcome below the paid minimum still counts its fee (only the counters need the minimum).
    registry.release(reserved, outcome, 20_000_900, {"from": market_caller})
    assert registry.provider(staked)["feesPaid"] == 20_000
    assert registry.reputationOf(staked) == 5100


def test_the_cap_costs_a_thousand_usd_of_fees_and_the_count_saturates(
    registry, staked, offer_id, market_caller, reserved, tenant
):
    registry.release(reserved, LEASE_COMPLETED, 999_999_999, {"from": market_caller})
    assert registry.reputationOf(staked) == 9999
    registry.tryReserve(offer_id, make_terms(tenant, units=1), {"from": market_caller})
    registry.release(settlement(staked, offer_id, 1, COLLATERAL), LEASE_COMPLETED, 2**256 - 1, {"from": market_caller})
    assert registry.provider(staked)["feesPaid"] == 2**32 - 1
    assert registry.reputationOf(staked) == 10_000


def test_when_outcome_none_then_nothing_recorded(registry, staked, market_caller, reserved):
    tx = registry.release(reserved, OUTCOME_NONE, 0, {"from": market_caller})
    assert "OutcomeRecorded" not in tx.events
    assert registry.reputationOf(staked) == 5000
    assert registry.provider(staked)["lockedStake"] == 0


def test_when_part_of_a_match_released_then_rest_stays_locked(registry, staked, offer_id, market_caller, reserved):
    registry.release(settlement(staked, offer_id, 1, COLLATERAL), OUTCOME_NONE, 0, {"from": market_caller})
    assert registry.offer(offer_id)["unitsInUse"] == 2
    assert registry.provider(staked)["lockedStake"] == 2 * COLLATERAL


def test_when_paused_then_market_can_still_release(registry, config, governance, market_caller, reserved, staked):
    config.pause({"from": governance})
    registry.release(reserved, LEASE_COMPLETED, 0, {"from": market_caller})
    assert registry.provider(staked)["lockedStake"] == 0


def test_revert_when_settlement_names_another_provider(registry, offer_id, market_caller, reserved, provider2):
    with reverts_with_args("ProviderRegistry_SettlementMismatch", offer_id, provider2.address):
        registry.release(settlement(provider2, offer_id, 3, 3 * COLLATERAL), OUTCOME_NONE, 0, {"from": market_caller})


def test_revert_when_settlement_names_unknown_offer_and_zero_provider(registry, market_caller, reserved):
    with reverts_with_args("ProviderRegistry_SettlementMismatch", 9, ZERO_ADDRESS):
        registry.release(settlement(ZERO_ADDRESS, 9, 0, 0), OUTCOME_NONE, 0, {"from": market_caller})


def test_revert_when_more_units_than_in_use(registry, staked, offer_id, market_caller, reserved):
    with reverts_with_args("ProviderRegistry_UnitsInUseUnderflow", 4, 3):
        registry.release(settlement(staked, offer_id, 4, 3 * COLLATERAL), OUTCOME_NONE, 0, {"from": market_caller})


def test_revert_when_more_collateral_than_locked(registry, staked, offer_id, market_caller, reserved):
    with reverts_with_args("ProviderRegistry_LockedStakeUnderflow", 3 * COLLATERAL + 1, 3 * COLLATERAL):
        registry.release(settlement(staked, offer_id, 3, 3 * COLLATERAL + 1), OUTCOME_NONE, 0, {"from": market_caller})


def test_revert_when_release_caller_lacks_market_role(registry, config, stranger, reserved):
    with reverts_with_args("Leasehold_MissingRole", config.MARKET_ROLE(), stranger.address):
        registry.release(reserved, OUTCOME_NONE, 0, {"from": stranger})


@pytest.mark.parametrize("outcome", [LEASE_COMPLETED, JOB_FINALIZED, LIVENESS_ANSWERED])
def test_when_market_records_outcome_then_counter_and_event(registry, registered, market_caller, outcome):
    tx = registry.recordOutcome(registered, outcome, {"from": market_caller})
    assert registry.provider(registered)[COUNTER[outcome]] == 1
    assert tx.events["OutcomeRecorded"] == {"provider": registered, "outcome": outcome}


def test_when_market_records_none_then_nothing_changes(registry, registered, market_caller):
    tx = registry.recordOutcome(registered, OUTCOME_NONE, {"from": market_caller})
    assert "OutcomeRecorded" not in tx.events
    assert registry.reputationOf(registered) == 5000


def test_revert_when_recording_for_unregistered_account(registry, market_caller, stranger):
    with reverts_with_args("ProviderRegistry_NotRegistered", stranger.address):
        registry.recordOutcome(stranger, LEASE_COMPLETED, {"from": market_caller})


def test_revert_when_record_caller_lacks_market_role(registry, config, registered, stranger):
    with reverts_with_args("Leasehold_MissingRole", config.MARKET_ROLE(), stranger.address):
        registry.recordOutcome(registered, LEASE_COMPLETED, {"from": stranger})
