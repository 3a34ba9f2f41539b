"""ProtocolConfig deployment: owner, treasury and the default parameter set."""

from config.support import DEFAULTS
from helpers import DAY, ZERO_ADDRESS, reverts_with, reverts_with_args


def test_when_deployed_then_owner_and_treasury_are_set(config, governance, treasury):
    assert config.owner() == governance
    assert config.pendingOwner() == ZERO_ADDRESS
    assert config.treasury() == treasury
    assert config.paused() is False


def test_when_deployed_then_params_are_the_defaults(config):
    assert tuple(config.params()) == tuple(DEFAULTS.values())


def test_when_deployed_then_defaults_leave_unbonding_longer_than_the_slashable_window(config):
    # 1 day challenge window + (2 × 24 + 2) × 1 h moves + 1 h arbiter vote = 75 h < 7 days.
    window = config.longestSlashableWindow(config.params())
    assert window == DAY + 50 * 3600 + 3600
    assert window < config.params()["unbondingPeriodSeconds"]


def test_when_deployed_then_params_set_and_treasury_set_are_emitted(config, treasury):
    assert config.tx.events["TreasurySet"]["treasury"] == treasury
    assert tuple(config.tx.events["ParamsSet"]["params"]) == tuple(DEFAULTS.values())


def test_when_deployed_then_constants_are_exposed(config, web3):
    assert config.MARKET_ROLE() == "0x" + web3.keccak(text="MARKET_ROLE").hex().removeprefix("0x")
    assert config.MATCHER_ROLE() == "0x" + web3.keccak(text="MATCHER_ROLE").hex().removeprefix("0x")
    assert config.VERIFIER_ROLE() == "0x" + web3.keccak(text="VERIFIER_ROLE").hex().removeprefix("0x")
    assert config.ARBITER_ROLE() == "0x" + web3.keccak(text="ARBITER_ROLE").hex().removeprefix("0x")
    assert config.MAX_TIER() == 4
    assert config.MAX_COLLATERAL_PER_UNIT() == 1_000_000 * 10**18


def test_revert_when_treasury_is_zero(ProtocolConfig, governance):
    with reverts_with("Leasehold_ZeroAddress"):
        ProtocolConfig.deploy(governance, ZERO_ADDRESS, {"from": governance})


def test_revert_when_owner_is_zero(ProtocolConfig, governance, treasury):
    with reverts_with_args("OwnableInvalidOwner", ZERO_ADDRESS):
        ProtocolConfig.deploy(ZERO_ADDRESS, treasury, {"from": governance})
