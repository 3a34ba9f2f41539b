"""ProviderRegistry.stake: exact pulls, totals, refusal of short deliveries."""

import pytest

from helpers import USD, reverts_with, reverts_with_args
from registry.support import EU_WEST, METADATA_URI

MAX_UINT96 = 2**96 - 1


@pytest.fixture
def funded(token, registry, registered):
    token.mint(registered, 5_000 * USD, {"from": registered})
    token.approve(registry, 2**256 - 1, {"from": registered})
    return registered


def test_when_provider_stakes_then_free_stake_total_and_balance_grow(registry, token, funded):
    tx = registry.stake(1_500 * USD, {"from": funded})
    assert registry.provider(funded)["freeStake"] == 1_500 * USD
    assert registry.totalStake() == 1_500 * USD
    assert token.balanceOf(registry) == 1_500 * USD
    assert token.balanceOf(funded) == 3_500 * USD
    assert tx.events["Staked"] == {"provider": funded, "amount": 1_500 * USD, "freeStake": 1_500 * USD}


def test_when_provider_stakes_twice_then_amounts_add(registry, funded):
    registry.stake(1_000 * USD, {"from": funded})
    tx = registry.stake(2_000 * USD, {"from": funded})
    assert registry.provider(funded)["freeStake"] == 3_000 * USD
    assert tx.events["Staked"]["freeStake"] == 3_000 * USD


def test_when_paused_then_provider_can_still_stake(registry, config, governance, funded):
    config.pause({"from": governance})
    registry.stake(USD, {"from": funded})
    assert registry.totalStake() == USD


def test_when_stake_reaches_uint96_max_then_accepted_and_one_more_overflows(registry, token, funded):
    # A whole stake fits the unbonding bucket's 96 bits (7.9e22 USD of a 6-decimal token).
    token.mint(funded, MAX_UINT96, {"from": funded})
    registry.stake(MAX_UINT96, {"from": funded})
    assert registry.provider(funded)["freeStake"] == MAX_UINT96
    with reverts_with_args("ProviderRegistry_StakeOverflow", MAX_UINT96 + 1):
        registry.stake(1, {"from": funded})
    registry.requestUnstake(MAX_UINT96, {"from": funded})
    assert registry.provider(funded)["unbondingStake"] == MAX_UINT96


def test_revert_when_amount_zero(registry, funded):
    with reverts_with("ProviderRegistry_ZeroAmount"):
        registry.stake(0, {"from": funded})


def test_revert_when_not_registered(registry, token, stranger):
    token.mint(stranger, USD, {"from": stranger})
    token.approve(registry, USD, {"from": stranger})
    with reverts_with_args("ProviderRegistry_NotRegistered", stranger.address):
        registry.stake(USD, {"from": stranger})


def test_revert_when_allowance_missing(registry, token, registered):
    token.mint(registered, USD, {"from": registered})
    with reverts_with("ERC20InsufficientAllowance"):
        registry.stake(USD, {"from": registered})


def test_revert_when_token_delivers_less_than_asked(FeeOnTransferToken, ProviderRegistry, config, governance, provider):
    fee_token = FeeOnTransferToken.deploy({"from": governance})
    fee_registry = ProviderRegistry.deploy(config, fee_token, {"from": governance})
    fee_registry.registerProvider(EU_WEST, METADATA_URI, {"from": provider})
    fee_token.mint(provider, 1_000 * USD, {"from": provider})
    fee_token.approve(fee_registry, 1_000 * USD, {"from": provider})
    with reverts_with_args("Leasehold_TransferAmountMismatch", fee_token.address, 1_000 * USD, 990 * USD):
        fee_registry.stake(1_000 * USD, {"from": provider})
    assert fee_registry.totalStake() == 0
    assert fee_registry.provider(provider)["freeStake"] == 0
    assert fee_token.balanceOf(provider) == 1_000 * USD
