"""ProviderRegistry.slash: source order, split, self-reporting, records."""

import pytest

from helpers import USD, ZERO_ADDRESS, reverts_with_args
from registry.support import DISPUTE_LOST, LATE_RESULT, LIVENESS, STAKE, make_terms, settlement, slash_order

COLLATERAL = 2_000 * USD


@pytest.fixture
def reserved(registry, staked, offer_id, market_caller, tenant):
    """2 units of offer 1 reserved: 4,000 USD locked, 6,000 USD free."""
    registry.tryReserve(offer_id, make_terms(tenant, units=2), {"from": market_caller})
    return settlement(staked, offer_id, 2, 2 * COLLATERAL)


@pytest.fixture
def whistleblower(accounts):
    return accounts[8]


def balances(token, *parties):
    return [token.balanceOf(p) for p in parties]


def test_when_slash_within_collateral_then_split_paid_and_rest_released(
    registry, token, staked, offer_id, market_caller, reserved, whistleblower, tenant, treasury
):
    before = balances(token, whistleblower, tenant, treasury)
    order = slash_order(1_000 * USD, LIVENESS, whistleblower, tenant)
    tx = registry.slash(reserved, order, {"from": market_caller})
    assert tx.return_value == 1_000 * USD
    facts = registry.provider(staked)
    assert facts["lockedStake"] == 0
    assert facts["freeStake"] == STAKE - 1_000 * USD
    assert registry.offer(offer_id)["unitsInUse"] == 0
    assert registry.totalStake() == STAKE - 1_000 * USD
    assert token.balanceOf(registry) == STAKE - 1_000 * USD
    after = balances(token, whistleblower, tenant, treasury)
    assert [a - b for a, b in zip(after, before)] == [500 * USD, 300 * USD, 200 * USD]
    assert tx.events["ProviderSlashed"] == {
        "provider": staked,
        "reason": LIVENESS,
        "slashed": 1_000 * USD,
        "toWhistleblower": 500 * USD,
        "toTenant": 300 * USD,
        "toTreasury": 200 * USD,
    }
    assert tx.events["CollateralReleased"] == {
        "provider": staked,
        "offerId": offer_id,
        "units": 2,
        "collateral": 3_000 * USD,
    }


def test_when_slash_exceeds_collateral_then_free_then_unbonding_pay(
    registry, staked, market_caller, reserved, treasury
):
    registry.requestUnstake(5_000 * USD, {"from": staked})  # free 1,000, unbonding 5,000, locked 4,000
    tx = registry.slash(reserved, slash_order(7_000 * USD, DISPUTE_LOST), {"from": market_caller})
    facts = registry.provider(staked)
    assert tx.return_value == 7_000 * USD
    assert facts["lockedStake"] == 0
    assert facts["freeStake"] == 0
    assert facts["unbondingStake"] == 3_000 * USD
    assert registry.totalStake() == 3_000 * USD
    assert tx.events["CollateralReleased"]["collateral"] == 0


def test_when_slash_exceeds_all_stake_then_everything_is_taken(registry, token, staked, market_caller, reserved):
    registry.requestUnstake(1_000 * USD, {"from": staked})
    tx = registry.slash(reserved, slash_order(2**128 - 1, DISPUTE_LOST), {"from": market_caller})
    facts = registry.provider(staked)
    assert tx.return_value == STAKE
    assert (facts["freeStake"], facts["lockedStake"], facts["unbondingStake"]) == (0, 0, 0)
    assert registry.totalStake() == 0
    assert token.balanceOf(registry) == 0
    assert tx.events["ProviderSlashed"]["slashed"] == STAKE


def test_when_slashed_during_unbonding_then_withdraw_pays_only_the_rest(
    registry, token, staked, offer_id, market_caller, tenant, chain
):
    registry.requestUnstake(STAKE, {"from": staked})
    registry.slash(settlement(staked, offer_id, 0, 0), slash_order(4_000 * USD, LATE_RESULT), {"from": market_caller})
    chain.sleep(7 * 86_400)
    chain.mine()
    tx = registry.withdrawUnstaked({"from": staked})
    assert tx.return_value == STAKE - 4_000 * USD
    assert token.balanceOf(registry) == 0


def test_when_provider_blows_the_whistle_on_itself_then_treasury_takes_its_share(
    registry, token, staked, market_caller, reserved, treasury
):
    before = token.balanceOf(treasury)
    tx = registry.slash(reserved, slash_order(1_000 * USD, LIVENESS, staked, staked), {"from": market_caller})
    assert token.balanceOf(staked) == 0
    assert token.balanceOf(treasury) - before == 1_000 * USD
    event = tx.events["ProviderSlashed"]
    assert (event["toWhistleblower"], event["toTenant"], event["toTreasury"]) == (0, 0, 1_000 * USD)


def test_when_no_whistleblower_or_tenant_then_treasury_takes_all(registry, token, market_caller, reserved, treasury):
    before = token.balanceOf(treasury)
    registry.slash(reserved, slash_order(1_000 * USD, LIVENESS), {"from": market_caller})
    assert token.balanceOf(treasury) - before == 1_000 * USD


def test_when_shares_round_down_then_treasury_keeps_the_dust(
    registry, token, market_caller, reserved, whistleblower, tenant, treasury
):
    tx = registry.slash(reserved, slash_order(3, LIVENESS, whistleblower, tenant), {"from": market_caller})
    event = tx.events["ProviderSlashed"]
    # 3 × 50% = 1.5 -> 1; 3 × 30% = 0.9 -> 0; the treasury gets 2.
    assert (event["toWhistleblower"], event["toTenant"], event["toTreasury"]) == (1, 0, 2)
    assert token.balanceOf(whistleblower) == 1
    assert token.balanceOf(tenant) == 0


def test_when_slash_amount_zero_then_fault_recorded_without_transfers(
    registry, token, staked, market_caller, reserved, whistleblower
):
    tx = registry.slash(reserved, slash_order(0, LIVENESS, whistleblower), {"from": market_caller})
    assert tx.return_value == 0
    assert "Transfer" not in tx.events
    facts = registry.provider(staked)
    assert facts["slashCount"] == 1
    assert facts["livenessMissed"] == 1
    assert facts["freeStake"] == STAKE
    assert registry.totalStake() == STAKE


@pytest.mark.parametrize(
    "reason,points,missed,lost",
    [(LIVENESS, 1000, 1, 0), (LATE_RESULT, 500, 0, 0), (DISPUTE_LOST, 3000, 0, 1)],
)
def test_when_slashed_then_record_follows_the_reason(
    registry, staked, market_caller, reserved, reason, points, missed, lost
):
    registry.slash(reserved, slash_order(100 * USD, reason), {"from": market_caller})
    facts = registry.provider(staked)
    assert facts["slashCount"] == 1
    assert facts["totalSlashed"] == 100 * USD
    assert facts["penaltyPoints"] == points
    assert facts["livenessMissed"] == missed
    assert facts["disputesLost"] == lost
    assert registry.decayedPenaltyOf(staked) == points
    assert registry.reputationOf(staked) == 5000 - points


def test_when_paused_then_market_can_still_slash(registry, config, governance, market_caller, reserved, staked):
    config.pause({"from": governance})
    registry.slash(reserved, slash_order(USD, LIVENESS), {"from": market_caller})
    assert registry.provider(staked)["slashCount"] == 1


def test_revert_when_slash_caller_lacks_market_role(registry, config, stranger, reserved):
    with reverts_with_args("Leasehold_MissingRole", config.MARKET_ROLE(), stranger.address):
        registry.slash(reserved, slash_order(USD, LIVENESS), {"from": stranger})


def test_revert_when_slash_settlement_names_another_provider(registry, offer_id, market_caller, reserved, provider2):
    with reverts_with_args("ProviderRegistry_SettlementMismatch", offer_id, provider2.address):
        registry.slash(
            settlement(provider2, offer_id, 2, 2 * COLLATERAL), slash_order(USD, LIVENESS), {"from": market_caller}
        )


def test_revert_when_slash_settlement_has_unknown_offer(registry, market_caller, reserved):
    with reverts_with_args("ProviderRegistry_SettlementMismatch", 0, ZERO_ADDRESS):
        registry.slash(settlement(ZERO_ADDRESS, 0, 0, 0), slash_order(USD, LIVENESS), {"from": market_caller})


def test_revert_when_slash_collateral_exceeds_locked(registry, staked, offer_id, market_caller, reserved):
    with reverts_with_args("ProviderRegistry_LockedStakeUnderflow", 2 * COLLATERAL + 1, 2 * COLLATERAL):
        registry.slash(
            settlement(staked, offer_id, 2, 2 * COLLATERAL + 1), slash_order(USD, LIVENESS), {"from": market_caller}
        )


def test_revert_when_slash_units_exceed_in_use(registry, staked, offer_id, market_caller, reserved):
    with reverts_with_args("ProviderRegistry_UnitsInUseUnderflow", 3, 2):
        registry.slash(
            settlement(staked, offer_id, 3, 2 * COLLATERAL), slash_order(USD, LIVENESS), {"from": market_caller}
        )
