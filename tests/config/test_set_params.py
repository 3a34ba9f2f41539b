"""ProtocolConfig.setParams: every bound, the share sum and the unbonding rule."""

import brownie
import pytest

from config.support import params_with
from helpers import DAY, USD, reverts_with_args

HOUR = 3600
MINUTE = 60

# name -> (min, max), as in docs/parameters.md
BOUNDS = {
    "protocolFeeBps": (0, 1000),
    "whistleblowerRewardBps": (0, 9000),
    "tenantCompensationBps": (0, 9000),
    "livenessSlashBps": (100, 5000),
    "lateResultSlashBps": (0, 5000),
    "verifierFeeBps": (0, 3000),
    "minLeaseSeconds": (MINUTE, DAY),
    "reclaimNoticeSeconds": (HOUR, 7 * DAY),
    "livenessWindowSeconds": (MINUTE, HOUR),
    "livenessSpacingSeconds": (10 * MINUTE, DAY),
    "unbondingPeriodSeconds": (DAY, 60 * DAY),
    "maxChallengeWindowSeconds": (10 * MINUTE, 7 * DAY),
    "moveTimeoutSeconds": (5 * MINUTE, DAY),
    "arbiterVoteWindowSeconds": (10 * MINUTE, DAY),
    "maxBisectionRounds": (1, 32),
    "matchFee": (0, 10 * USD),
    "settleBounty": (0, 5 * USD),
    "livenessBond": (USD // 100, 1000 * USD),
    "challengeBond": (USD // 100, 100_000 * USD),
    "verifierBond": (USD // 100, 100_000 * USD),
    "jobCollateralBps": (10_000, 50_000),
    "verificationSampleBps": (100, 10_000),
    "arbiterBond": (USD // 100, 100_000 * USD),
    "arbiterFee": (0, 50 * USD),  # at most the challenge bond
}

# Companions that keep the other rules satisfied when one parameter sits at a bound.
SHORT_DISPUTES = {
    "maxChallengeWindowSeconds": 10 * MINUTE,
    "moveTimeoutSeconds": 5 * MINUTE,
    "maxBisectionRounds": 1,
    "arbiterVoteWindowSeconds": 10 * MINUTE,
}
COMPANIONS = {
    ("whistleblowerRewardBps", 9000): {"tenantCompensationBps": 1000},
    ("tenantCompensationBps", 9000): {"whistleblowerRewardBps": 1000},
    ("unbondingPeriodSeconds", DAY): SHORT_DISPUTES,
    ("challengeBond", USD // 100): {"arbiterFee": 0},  # the fee comes out of the bond
}
LONG_UNBONDING = {"unbondingPeriodSeconds": 60 * DAY}


def out_of_bounds(name, value, low, high):
    pattern = rf"ProtocolConfig_ParamOutOfBounds: b'{name}[^']*', {value}, {low}, {high}"
    return brownie.reverts(revert_pattern=pattern)


def test_when_owner_sets_params_then_they_are_stored_and_emitted(config, governance):
    new = params_with(protocolFeeBps=250, matchFee=USD, unbondingPeriodSeconds=14 * DAY)
    tx = config.setParams(new, {"from": governance})
    assert tuple(config.params()) == new
    assert tuple(tx.events["ParamsSet"]["params"]) == new


def test_revert_when_caller_not_owner(config, stranger):
    with reverts_with_args("OwnableUnauthorizedAccount", stranger.address):
        config.setParams(params_with(protocolFeeBps=0), {"from": stranger})


@pytest.mark.parametrize("name", BOUNDS)
def test_revert_when_param_above_max(config, governance, name):
    low, high = BOUNDS[name]
    with out_of_bounds(name, high + 1, low, high):
        config.setParams(params_with(**{name: high + 1}), {"from": governance})


@pytest.mark.parametrize("name", [n for n, (low, _) in BOUNDS.items() if low > 0])
def test_revert_when_param_below_min(config, governance, name):
    low, high = BOUNDS[name]
    with out_of_bounds(name, low - 1, low, high):
        config.setParams(params_with(**{name: low - 1}), {"from": governance})


@pytest.mark.parametrize("edge", ["min", "max"])
@pytest.mark.parametrize("name", BOUNDS)
def test_when_param_at_bound_then_accepted(config, governance, name, edge):
    value = BOUNDS[name][0 if edge == "min" else 1]
    changes = dict(LONG_UNBONDING)
    changes.update(COMPANIONS.get((name, value), {}))
    changes[name] = value
    config.setParams(params_with(**changes), {"from": governance})
    assert config.params()[name] == value


def test_revert_when_slash_shares_exceed_whole(config, governance):
    with reverts_with_args("ProtocolConfig_SharesExceedWhole", 6000, 4001):
        config.setParams(params_with(whistleblowerRewardBps=6000, tenantCompensationBps=4001), {"from": governance})


def test_when_slash_shares_sum_to_whole_then_accepted(config, governance):
    config.setParams(params_with(whistleblowerRewardBps=6000, tenantCompensationBps=4000), {"from": governance})
    assert config.params()["tenantCompensationBps"] == 4000


def test_revert_when_unbonding_equals_the_slashable_window(config, governance):
    # 1 day + (2 × 24 + 2) × 1 h + 1 h = 75 h; unbonding exactly 75 h is refused.
    window = DAY + 50 * HOUR + HOUR
    with reverts_with_args("ProtocolConfig_UnbondingTooShort", window, window):
        config.setParams(params_with(unbondingPeriodSeconds=window), {"from": governance})


def test_when_unbonding_one_second_longer_than_the_window_then_accepted(config, governance):
    window = DAY + 50 * HOUR + HOUR
    config.setParams(params_with(unbondingPeriodSeconds=window + 1), {"from": governance})
    assert config.params()["unbondingPeriodSeconds"] == window + 1


def test_revert_when_longer_disputes_outgrow_the_unbonding_period(config, governance):
    # 32 rounds of 1 day moves: 1 day + 66 days + 1 h, longer than 7 days.
    window = DAY + 66 * DAY + HOUR
    with reverts_with_args("ProtocolConfig_UnbondingTooShort", 7 * DAY, window):
        config.setParams(params_with(maxBisectionRounds=32, moveTimeoutSeconds=DAY), {"from": governance})


def test_longest_slashable_window_follows_the_formula(config):
    p = params_with(
        maxChallengeWindowSeconds=1000, maxBisectionRounds=3, moveTimeoutSeconds=100, arbiterVoteWindowSeconds=7
    )
    assert config.longestSlashableWindow(p) == 1000 + (2 * 3 + 2) * 100 + 7


def test_revert_when_the_arbiter_fee_exceeds_the_challenge_bond(config, governance):
    with out_of_bounds("arbiterFee", 30 * USD + 1, 0, 30 * USD):
        config.setParams(params_with(challengeBond=30 * USD, arbiterFee=30 * USD + 1), {"from": governance})


def test_out_of_bounds_names_the_first_failing_param(config, governance):
    p = params_with(protocolFeeBps=1001, verifierBond=0)
    with brownie.reverts(revert_pattern=r"ProtocolConfig_ParamOutOfBounds: b'protocolFeeBps.*"):
        config.setParams(p, {"from": governance})
