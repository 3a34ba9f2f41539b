"""Hostile inputs for every state-changing function of ProtocolConfig (its own and the inherited
Ownable2Step ones): zero, one and maximum values, unknown roles, the wrong caller and the wrong
state. Every row must revert with its exact custom error and leave the whole chain unchanged."""

import pytest

from config.support import DEFAULTS
from helpers import ZERO_ADDRESS, b32
from security.hostile_support import (
    MAX_UINT8,
    MAX_UINT16,
    MAX_UINT128,
    Attempt,
    Table,
    run_row,
)

T = Table("ProtocolConfig")
NEW_MODEL = b32("amd-mi300x")


def _bytes32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def _params(**changes) -> tuple:
    values = dict(DEFAULTS)
    values.update(changes)
    return tuple(values.values())


def _owner_call(w, fn, *args, sender=None):
    sender = sender or w.governance
    return Attempt(lambda: getattr(w.config, fn)(*args, {"from": sender}), sender)


def _unauthorized(w, fn, *args):
    attempt = _owner_call(w, fn, *args, sender=w.stranger)
    attempt.error, attempt.args = "OwnableUnauthorizedAccount", (w.stranger.address,)
    return attempt


def _refused(attempt, error, *args):
    attempt.error, attempt.args = error, args
    return attempt


# --- setParams -----------------------------------------------------------------------------


@T.row("setParams", "wrong_caller")
def _(w):
    return _unauthorized(w, "setParams", _params())


@T.row("setParams", "all_zero")
def _(w):
    zero = tuple(0 for _ in DEFAULTS)
    return _refused(
        _owner_call(w, "setParams", zero), "ProtocolConfig_ParamOutOfBounds", _bytes32("livenessSlashBps"), 0, 100, 5000
    )


@T.row("setParams", "all_one")
def _(w):
    one = tuple(1 for _ in DEFAULTS)
    return _refused(
        _owner_call(w, "setParams", one), "ProtocolConfig_ParamOutOfBounds", _bytes32("livenessSlashBps"), 1, 100, 5000
    )


@T.row("setParams", "max_fee_bps")
def _(w):
    return _refused(
        _owner_call(w, "setParams", _params(protocolFeeBps=MAX_UINT16)),
        "ProtocolConfig_ParamOutOfBounds",
        _bytes32("protocolFeeBps"),
        MAX_UINT16,
        0,
        1000,
    )


@T.row("setParams", "max_bond")
def _(w):
    return _refused(
        _owner_call(w, "setParams", _params(challengeBond=MAX_UINT128)),
        "ProtocolConfig_ParamOutOfBounds",
        _bytes32("challengeBond"),
        MAX_UINT128,
        10**4,
        10**11,
    )


@T.row("setParams", "max_rounds")
def _(w):
    return _refused(
        _owner_call(w, "setParams", _params(maxBisectionRounds=MAX_UINT8)),
        "ProtocolConfig_ParamOutOfBounds",
        _bytes32("maxBisectionRounds"),
        MAX_UINT8,
        1,
        32,
    )


@T.row("setParams", "shares_over_whole")
def _(w):
    return _refused(
        _owner_call(w, "setParams", _params(whistleblowerRewardBps=9000, tenantCompensationBps=1001)),
        "ProtocolConfig_SharesExceedWhole",
        9000,
        1001,
    )


@T.row("setParams", "unbonding_not_longer_than_disputes")
def _(w):
    window = 86_400 + (2 * 24 + 2) * 3600 + 3600
    return _refused(
        _owner_call(w, "setParams", _params(unbondingPeriodSeconds=window)),
        "ProtocolConfig_UnbondingTooShort",
        window,
        window,
    )


# --- setGpuModel ---------------------------------------------------------------------------


@T.row("setGpuModel", "wrong_caller")
def _(w):
    return _unauthorized(w, "setGpuModel", NEW_MODEL, 192, 3, 1000, True)


@T.row("setGpuModel", "zero_model")
def _(w):
    return _refused(
        _owner_call(w, "setGpuModel", "0x" + "00" * 32, 192, 3, 1000, True),
        "ProtocolConfig_InvalidGpuModel",
        b"\0" * 32,
    )


@T.row("setGpuModel", "zero_vram")
def _(w):
    return _refused(_owner_call(w, "setGpuModel", NEW_MODEL, 0, 3, 1000, True), "ProtocolConfig_InvalidVram", 0)


@T.row("setGpuModel", "tier_above_max")
def _(w):
    return _refused(_owner_call(w, "setGpuModel", NEW_MODEL, 192, 5, 1000, True), "ProtocolConfig_InvalidTier", 5)


@T.row("setGpuModel", "max_tier")
def _(w):
    return _refused(
        _owner_call(w, "setGpuModel", NEW_MODEL, 192, MAX_UINT8, 1000, True), "ProtocolConfig_InvalidTier", MAX_UINT8
    )


@T.row("setGpuModel", "zero_collateral")
def _(w):
    return _refused(
        _owner_call(w, "setGpuModel", NEW_MODEL, 192, 3, 0, True), "ProtocolConfig_CollateralOutOfBounds", 0, 10**24
    )


@T.row("setGpuModel", "max_collateral")
def _(w):
    return _refused(
        _owner_call(w, "setGpuModel", NEW_MODEL, 192, 3, MAX_UINT128, True),
        "ProtocolConfig_CollateralOutOfBounds",
        MAX_UINT128,
        10**24,
    )


@T.row("setGpuModel", "one_and_max_allowed")
def _(w):
    attempt = _owner_call(w, "setGpuModel", NEW_MODEL, 1, 4, 10**24, True)

    def check(tx):
        assert w.config.gpuModel(NEW_MODEL).dict() == {
            "collateralPerUnit": 10**24,
            "vramGB": 1,
            "tier": 4,
            "listed": True,
        }

    attempt.check = check
    return attempt


# --- setRole, setTreasury ------------------------------------------------------------------


@T.row("setRole", "wrong_caller")
def _(w):
    return _unauthorized(w, "setRole", w.config.MATCHER_ROLE(), w.stranger, True)


@T.row("setRole", "unknown_role")
def _(w):
    return _refused(
        _owner_call(w, "setRole", b32("ADMIN_ROLE"), w.stranger, True),
        "ProtocolConfig_UnknownRole",
        _bytes32("ADMIN_ROLE"),
    )


@T.row("setRole", "zero_role")
def _(w):
    return _refused(
        _owner_call(w, "setRole", "0x" + "00" * 32, w.stranger, True), "ProtocolConfig_UnknownRole", b"\0" * 32
    )


@T.row("setRole", "zero_account")
def _(w):
    return _refused(_owner_call(w, "setRole", w.config.MATCHER_ROLE(), ZERO_ADDRESS, True), "Leasehold_ZeroAddress")


@T.row("setTreasury", "wrong_caller")
def _(w):
    return _unauthorized(w, "setTreasury", w.stranger)


@T.row("setTreasury", "zero_address")
def _(w):
    return _refused(_owner_call(w, "setTreasury", ZERO_ADDRESS), "Leasehold_ZeroAddress")


# --- pause, unpause ------------------------------------------------------------------------


@T.row("pause", "wrong_caller")
def _(w):
    return _unauthorized(w, "pause")


@T.row("pause", "already_paused")
def _(w):
    w.config.pause({"from": w.governance})
    return _refused(_owner_call(w, "pause"), "EnforcedPause")


@T.row("unpause", "wrong_caller")
def _(w):
    w.config.pause({"from": w.governance})
    return _unauthorized(w, "unpause")


@T.row("unpause", "not_paused")
def _(w):
    return _refused(_owner_call(w, "unpause"), "ExpectedPause")


# --- ownership -----------------------------------------------------------------------------


@T.row("transferOwnership", "wrong_caller")
def _(w):
    return _unauthorized(w, "transferOwnership", w.stranger)


@T.row("acceptOwnership", "not_pending_owner")
def _(w):
    w.config.transferOwnership(w.provider, {"from": w.governance})
    return _unauthorized(w, "acceptOwnership")


@T.row("acceptOwnership", "nothing_pending")
def _(w):
    return _refused(
        _owner_call(w, "acceptOwnership", sender=w.stranger), "OwnableUnauthorizedAccount", w.stranger.address
    )


@T.row("renounceOwnership", "wrong_caller")
def _(w):
    return _unauthorized(w, "renounceOwnership")


ROWS = T.rows


@pytest.mark.parametrize("row", T.params())
def test_hostile_call_is_refused_and_changes_nothing(anvil, world, row):
    run_row(anvil, world, row)
