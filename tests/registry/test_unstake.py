"""ProviderRegistry.requestUnstake and withdrawUnstaked: one bucket, restarted by each request."""

import brownie

from helpers import DAY, USD, reverts_with, reverts_with_args
from registry.support import STAKE, make_terms

UNBONDING = 7 * DAY


def test_when_provider_requests_unstake_then_free_moves_to_unbonding(registry, staked, chain):
    tx = registry.requestUnstake(4_000 * USD, {"from": staked})
    facts = registry.provider(staked)
    ready_at = chain[tx.block_number].timestamp + UNBONDING
    assert facts["freeStake"] == STAKE - 4_000 * USD
    assert facts["unbondingStake"] == 4_000 * USD
    assert facts["unbondingReadyAt"] == ready_at
    assert registry.totalStake() == STAKE
    assert tx.events["UnstakeRequested"] == {
        "provider": staked,
        "amount": 4_000 * USD,
        "unbondingStake": 4_000 * USD,
        "readyAt": ready_at,
    }


def test_when_provider_requests_again_then_bucket_grows_and_clock_restarts(registry, staked, chain):
    registry.requestUnstake(1_000 * USD, {"from": staked})
    chain.sleep(3 * DAY)
    tx = registry.requestUnstake(2_000 * USD, {"from": staked})
    facts = registry.provider(staked)
    assert facts["unbondingStake"] == 3_000 * USD
    assert facts["unbondingReadyAt"] == chain[tx.block_number].timestamp + UNBONDING
    assert tx.events["UnstakeRequested"]["unbondingStake"] == 3_000 * USD


def test_when_whole_free_stake_requested_then_accepted(registry, staked):
    registry.requestUnstake(STAKE, {"from": staked})
    assert registry.provider(staked)["freeStake"] == 0


def test_revert_when_request_amount_zero(registry, staked):
    with reverts_with("ProviderRegistry_ZeroAmount"):
        registry.requestUnstake(0, {"from": staked})


def test_revert_when_request_exceeds_free_stake(registry, staked):
    with reverts_with_args("ProviderRegistry_InsufficientFreeStake", STAKE + 1, STAKE):
        registry.requestUnstake(STAKE + 1, {"from": staked})


def test_revert_when_request_touches_locked_collateral(registry, staked, offer_id, market_caller, tenant):
    registry.tryReserve(offer_id, make_terms(tenant, units=2), {"from": market_caller})
    free = STAKE - 4_000 * USD
    with reverts_with_args("ProviderRegistry_InsufficientFreeStake", free + 1, free):
        registry.requestUnstake(free + 1, {"from": staked})


def test_revert_when_unregistered_requests(registry, stranger):
    with reverts_with_args("ProviderRegistry_NotRegistered", stranger.address):
        registry.requestUnstake(1, {"from": stranger})


def test_when_period_passed_then_withdraw_pays_whole_bucket(registry, token, staked, chain):
    registry.requestUnstake(4_000 * USD, {"from": staked})
    chain.sleep(UNBONDING)
    chain.mine()
    tx = registry.withdrawUnstaked({"from": staked})
    facts = registry.provider(staked)
    assert tx.return_value == 4_000 * USD
    assert facts["unbondingStake"] == 0
    assert facts["unbondingReadyAt"] == 0
    assert token.balanceOf(staked) == 4_000 * USD
    assert token.balanceOf(registry) == STAKE - 4_000 * USD
    assert registry.totalStake() == STAKE - 4_000 * USD
    assert tx.events["UnstakeWithdrawn"] == {"provider": staked, "amount": 4_000 * USD}


def test_when_paused_then_withdraw_still_works(registry, config, governance, staked, chain):
    registry.requestUnstake(USD, {"from": staked})
    config.pause({"from": governance})
    chain.sleep(UNBONDING)
    chain.mine()
    registry.withdrawUnstaked({"from": staked})
    assert registry.provider(staked)["unbondingStake"] == 0


def test_revert_when_withdraw_before_period(registry, staked, chain):
    tx = registry.requestUnstake(USD, {"from": staked})
    ready_at = chain[tx.block_number].timestamp + UNBONDING
    chain.sleep(UNBONDING - 100)
    chain.mine()
    with brownie.reverts(revert_pattern=rf"ProviderRegistry_UnbondingNotReady: {ready_at}, \d+"):
        registry.withdrawUnstaked({"from": staked})


def test_revert_when_later_request_restarted_the_clock(registry, staked, chain):
    registry.requestUnstake(USD, {"from": staked})
    chain.sleep(6 * DAY)
    registry.requestUnstake(USD, {"from": staked})
    chain.sleep(2 * DAY)  # 8 days after the first request, 2 after the latest
    chain.mine()
    with reverts_with("ProviderRegistry_UnbondingNotReady"):
        registry.withdrawUnstaked({"from": staked})


def test_revert_when_nothing_unbonding(registry, staked):
    with reverts_with_args("ProviderRegistry_NothingUnbonding", staked.address):
        registry.withdrawUnstaked({"from": staked})


def test_revert_when_withdrawn_twice(registry, staked, chain):
    registry.requestUnstake(USD, {"from": staked})
    chain.sleep(UNBONDING)
    chain.mine()
    registry.withdrawUnstaked({"from": staked})
    with reverts_with_args("ProviderRegistry_NothingUnbonding", staked.address):
        registry.withdrawUnstaked({"from": staked})
