"""Hostile inputs for every state-changing function of ProviderRegistry: zero, one and maximum
values, unknown offers, the wrong caller (including every market-only call from an account
without MARKET_ROLE), the wrong state and the unbonding deadline (-1 s refused, at it allowed).
Every refused row reverts with its exact custom error and leaves the whole chain unchanged."""

import pytest

from helpers import USD, ZERO_ADDRESS, b32
from jobs.support import STAKE
from security.hostile_support import (
    MAX_UINT32,
    MAX_UINT40,
    MAX_UINT128,
    MAX_UINT256,
    Attempt,
    Table,
    around,
    at,
    claim_credit_row,
    open_lease,
    params_of,
    run_row,
)

T = Table("ProviderRegistry")
REGION = b32("eu-west")
URI = "https://gpu.example.org/p.json"
UNLISTED = b32("unlisted-gpu")
MAX_DURATION = 365 * 86_400


def _call(w, fn, *args, sender, error=None, err_args=None, check=None):
    return Attempt(lambda: getattr(w.registry, fn)(*args, {"from": sender}), sender, error, err_args, check=check)


def _missing_market_role(w, fn, *args):
    role = bytes(w.config.MARKET_ROLE())
    return _call(w, fn, *args, sender=w.stranger, error="Leasehold_MissingRole", err_args=(role, w.stranger.address))


def _settlement(w, units=1, collateral=2_000 * USD, provider=None, offer=None):
    return (provider or w.provider, offer or w.offer, units, collateral)


def _terms(w):
    # Registry.MatchTerms: tenant, gpuModel, region, maxPrice, duration, units, minVram, minRep, minTier
    return (w.tenant, b32("nvidia-h100-80gb"), "0x" + "00" * 32, 3 * USD, 86_400, 1, 0, 0, 0)


# --- registerProvider, updateProvider ------------------------------------------------------


@T.row("registerProvider", "already_registered")
def _(w):
    return _call(
        w,
        "registerProvider",
        REGION,
        URI,
        sender=w.provider,
        error="ProviderRegistry_AlreadyRegistered",
        err_args=(w.provider.address,),
    )


@T.row("registerProvider", "zero_region")
def _(w):
    return _call(
        w,
        "registerProvider",
        "0x" + "00" * 32,
        URI,
        sender=w.stranger,
        error="ProviderRegistry_InvalidRegion",
        err_args=None,
    )


@T.row("registerProvider", "empty_uri")
def _(w):
    return _call(
        w,
        "registerProvider",
        REGION,
        "",
        sender=w.stranger,
        error="ProviderRegistry_InvalidMetadataURI",
        err_args=(0, 256),
    )


@T.row("registerProvider", "uri_one_over_max")
def _(w):
    return _call(
        w,
        "registerProvider",
        REGION,
        "x" * 257,
        sender=w.stranger,
        error="ProviderRegistry_InvalidMetadataURI",
        err_args=(257, 256),
    )


@T.row("registerProvider", "uri_at_max_allowed")
def _(w):
    return _call(
        w,
        "registerProvider",
        REGION,
        "x" * 256,
        sender=w.stranger,
        check=lambda tx: w.registry.metadataURI(w.stranger) == "x" * 256,
    )


@T.row("registerProvider", "paused")
def _(w):
    w.config.pause({"from": w.governance})
    return _call(w, "registerProvider", REGION, URI, sender=w.stranger, error="Leasehold_Paused", err_args=None)


@T.row("updateProvider", "not_registered")
def _(w):
    return _call(
        w,
        "updateProvider",
        REGION,
        URI,
        sender=w.stranger,
        error="ProviderRegistry_NotRegistered",
        err_args=(w.stranger.address,),
    )


@T.row("updateProvider", "zero_region")
def _(w):
    return _call(w, "updateProvider", "0x" + "00" * 32, URI, sender=w.provider, error="ProviderRegistry_InvalidRegion")


@T.row("updateProvider", "uri_one_over_max")
def _(w):
    return _call(
        w,
        "updateProvider",
        REGION,
        "x" * 257,
        sender=w.provider,
        error="ProviderRegistry_InvalidMetadataURI",
        err_args=(257, 256),
    )


@T.row("updateProvider", "region_change_while_stake_locked")
def _(w):
    open_lease(w, units=1)  # locks 2,000 USD: the provider's region is a term of that match
    return _call(
        w,
        "updateProvider",
        b32("ap-south"),
        URI,
        sender=w.provider,
        error="ProviderRegistry_RegionLocked",
        err_args=(w.provider.address, 2_000 * USD),
    )


# --- stake, requestUnstake, withdrawUnstaked -----------------------------------------------


@T.row("stake", "not_registered")
def _(w):
    return _call(
        w, "stake", 1, sender=w.stranger, error="ProviderRegistry_NotRegistered", err_args=(w.stranger.address,)
    )


@T.row("stake", "zero")
def _(w):
    return _call(w, "stake", 0, sender=w.provider, error="ProviderRegistry_ZeroAmount", err_args=None)


@T.row("stake", "max_uint128")
def _(w):
    return _call(
        w,
        "stake",
        MAX_UINT128,
        sender=w.provider,
        error="ProviderRegistry_StakeOverflow",
        err_args=(STAKE + MAX_UINT128,),
    )


@T.row("stake", "more_than_balance")
def _(w):
    balance = w.token.balanceOf(w.provider)
    return _call(
        w,
        "stake",
        balance + 1,
        sender=w.provider,
        error="ERC20InsufficientBalance",
        err_args=(w.provider.address, balance, balance + 1),
    )


@T.row("requestUnstake", "not_registered")
def _(w):
    return _call(
        w,
        "requestUnstake",
        1,
        sender=w.stranger,
        error="ProviderRegistry_NotRegistered",
        err_args=(w.stranger.address,),
    )


@T.row("requestUnstake", "zero")
def _(w):
    return _call(w, "requestUnstake", 0, sender=w.provider, error="ProviderRegistry_ZeroAmount")


@T.row("requestUnstake", "one_over_free")
def _(w):
    return _call(
        w,
        "requestUnstake",
        STAKE + 1,
        sender=w.provider,
        error="ProviderRegistry_InsufficientFreeStake",
        err_args=(STAKE + 1, STAKE),
    )


@T.row("requestUnstake", "max_uint128")
def _(w):
    return _call(
        w,
        "requestUnstake",
        MAX_UINT128,
        sender=w.provider,
        error="ProviderRegistry_InsufficientFreeStake",
        err_args=(MAX_UINT128, STAKE),
    )


@T.row("requestUnstake", "locked_collateral")
def _(w):
    open_lease(w, units=2)  # locks 4,000 USD
    free = STAKE - 4_000 * USD
    return _call(
        w,
        "requestUnstake",
        free + 1,
        sender=w.provider,
        error="ProviderRegistry_InsufficientFreeStake",
        err_args=(free + 1, free),
    )


@T.row("withdrawUnstaked", "nothing_unbonding")
def _(w):
    return _call(
        w,
        "withdrawUnstaked",
        sender=w.provider,
        error="ProviderRegistry_NothingUnbonding",
        err_args=(w.provider.address,),
    )


@T.row("withdrawUnstaked", "unregistered_caller")
def _(w):
    return _call(
        w,
        "withdrawUnstaked",
        sender=w.stranger,
        error="ProviderRegistry_NothingUnbonding",
        err_args=(w.stranger.address,),
    )


def _unbonding(w):
    tx = w.registry.requestUnstake(USD, {"from": w.provider})
    return tx.timestamp + params_of(w)["unbondingPeriodSeconds"]


def _withdraw_around_ready(w, offset):
    ready = _unbonding(w)
    at(ready + offset)
    if offset < 0:
        return _call(
            w,
            "withdrawUnstaked",
            sender=w.provider,
            error="ProviderRegistry_UnbondingNotReady",
            err_args=(ready, ready + offset),
        )
    before = w.token.balanceOf(w.provider)
    return _call(
        w,
        "withdrawUnstaked",
        sender=w.provider,
        check=lambda tx: w.token.balanceOf(w.provider) == before + USD and tx.timestamp == ready + offset,
    )


around(T, "withdrawUnstaked", "unbonding_ready", (0, 1), _withdraw_around_ready)


@T.row("withdrawUnstaked", "twice")
def _(w):
    at(_unbonding(w) + 1)
    w.registry.withdrawUnstaked({"from": w.provider})
    return _call(
        w,
        "withdrawUnstaked",
        sender=w.provider,
        error="ProviderRegistry_NothingUnbonding",
        err_args=(w.provider.address,),
    )


# --- offers --------------------------------------------------------------------------------


def _add(w, units=4, price=2 * USD, duration=86_400, model=None, sender=None, **kw):
    return _call(
        w, "addOffer", model or b32("nvidia-h100-80gb"), units, price, duration, sender=sender or w.provider, **kw
    )


@T.row("addOffer", "not_registered")
def _(w):
    return _add(w, sender=w.stranger, error="ProviderRegistry_NotRegistered", err_args=(w.stranger.address,))


@T.row("addOffer", "unlisted_model")
def _(w):
    return _add(w, model=UNLISTED, error="ProviderRegistry_GpuModelNotListed", err_args=(bytes.fromhex(UNLISTED[2:]),))


@T.row("addOffer", "zero_model")
def _(w):
    return _add(w, model="0x" + "00" * 32, error="ProviderRegistry_GpuModelNotListed", err_args=(b"\0" * 32,))


@T.row("addOffer", "zero_units")
def _(w):
    return _add(w, units=0, error="ProviderRegistry_InvalidUnits", err_args=(0, 1024))


@T.row("addOffer", "units_one_over_max")
def _(w):
    return _add(w, units=1025, error="ProviderRegistry_InvalidUnits", err_args=(1025, 1024))


@T.row("addOffer", "max_units")
def _(w):
    return _add(w, units=MAX_UINT32, error="ProviderRegistry_InvalidUnits", err_args=(MAX_UINT32, 1024))


@T.row("addOffer", "zero_price")
def _(w):
    return _add(w, price=0, error="ProviderRegistry_InvalidPrice", err_args=(0,))


@T.row("addOffer", "zero_duration")
def _(w):
    return _add(w, duration=0, error="ProviderRegistry_InvalidMaxDuration", err_args=(0, 3600, MAX_DURATION))


@T.row("addOffer", "duration_one_under_min_lease")
def _(w):
    return _add(w, duration=3599, error="ProviderRegistry_InvalidMaxDuration", err_args=(3599, 3600, MAX_DURATION))


@T.row("addOffer", "duration_one_over_max")
def _(w):
    return _add(
        w,
        duration=MAX_DURATION + 1,
        error="ProviderRegistry_InvalidMaxDuration",
        err_args=(MAX_DURATION + 1, 3600, MAX_DURATION),
    )


@T.row("addOffer", "max_duration_uint40")
def _(w):
    return _add(
        w, duration=MAX_UINT40, error="ProviderRegistry_InvalidMaxDuration", err_args=(MAX_UINT40, 3600, MAX_DURATION)
    )


@T.row("addOffer", "bounds_allowed")
def _(w):
    def check(tx):
        offer = w.registry.offer(tx.return_value).dict()
        assert (offer["units"], offer["pricePerUnitHour"], offer["maxDurationSeconds"]) == (1024, MAX_UINT128, 3600)

    return _add(w, units=1024, price=MAX_UINT128, duration=3600, check=check)


@T.row("addOffer", "paused")
def _(w):
    w.config.pause({"from": w.governance})
    return _add(w, error="Leasehold_Paused")


@T.row("updateOffer", "unknown_zero_id")
def _(w):
    return _call(
        w, "updateOffer", 0, 4, USD, 86_400, sender=w.provider, error="ProviderRegistry_OfferNotFound", err_args=(0,)
    )


@T.row("updateOffer", "unknown_max_id")
def _(w):
    return _call(
        w,
        "updateOffer",
        MAX_UINT256,
        4,
        USD,
        86_400,
        sender=w.provider,
        error="ProviderRegistry_OfferNotFound",
        err_args=(MAX_UINT256,),
    )


@T.row("updateOffer", "wrong_caller")
def _(w):
    return _call(
        w,
        "updateOffer",
        w.offer,
        4,
        USD,
        86_400,
        sender=w.provider2,
        error="ProviderRegistry_NotOfferOwner",
        err_args=(w.offer, w.provider2.address),
    )


@T.row("updateOffer", "removed")
def _(w):
    w.registry.removeOffer(w.offer, {"from": w.provider})
    return _call(
        w,
        "updateOffer",
        w.offer,
        4,
        USD,
        86_400,
        sender=w.provider,
        error="ProviderRegistry_OfferRemoved",
        err_args=(w.offer,),
    )


@T.row("updateOffer", "units_below_in_use")
def _(w):
    open_lease(w, units=2)
    return _call(
        w,
        "updateOffer",
        w.offer,
        1,
        USD,
        86_400,
        sender=w.provider,
        error="ProviderRegistry_UnitsBelowInUse",
        err_args=(1, 2),
    )


@T.row("updateOffer", "zero_units")
def _(w):
    return _call(
        w,
        "updateOffer",
        w.offer,
        0,
        USD,
        86_400,
        sender=w.provider,
        error="ProviderRegistry_InvalidUnits",
        err_args=(0, 1024),
    )


@T.row("updateOffer", "zero_price")
def _(w):
    return _call(
        w, "updateOffer", w.offer, 4, 0, 86_400, sender=w.provider, error="ProviderRegistry_InvalidPrice", err_args=(0,)
    )


@T.row("pauseOffer", "unknown_id")
def _(w):
    return _call(
        w,
        "pauseOffer",
        MAX_UINT256,
        True,
        sender=w.provider,
        error="ProviderRegistry_OfferNotFound",
        err_args=(MAX_UINT256,),
    )


@T.row("pauseOffer", "wrong_caller")
def _(w):
    return _call(
        w,
        "pauseOffer",
        w.offer,
        True,
        sender=w.stranger,
        error="ProviderRegistry_NotOfferOwner",
        err_args=(w.offer, w.stranger.address),
    )


@T.row("pauseOffer", "unpause_a_live_offer")
def _(w):
    return _call(
        w,
        "pauseOffer",
        w.offer,
        False,
        sender=w.provider,
        error="ProviderRegistry_OfferPausedAlready",
        err_args=(w.offer, False),
    )


@T.row("pauseOffer", "pause_twice")
def _(w):
    w.registry.pauseOffer(w.offer, True, {"from": w.provider})
    return _call(
        w,
        "pauseOffer",
        w.offer,
        True,
        sender=w.provider,
        error="ProviderRegistry_OfferPausedAlready",
        err_args=(w.offer, True),
    )


@T.row("pauseOffer", "removed")
def _(w):
    w.registry.removeOffer(w.offer, {"from": w.provider})
    return _call(
        w, "pauseOffer", w.offer, True, sender=w.provider, error="ProviderRegistry_OfferRemoved", err_args=(w.offer,)
    )


@T.row("removeOffer", "unknown_zero_id")
def _(w):
    return _call(w, "removeOffer", 0, sender=w.provider, error="ProviderRegistry_OfferNotFound", err_args=(0,))


@T.row("removeOffer", "wrong_caller")
def _(w):
    return _call(
        w,
        "removeOffer",
        w.offer,
        sender=w.provider2,
        error="ProviderRegistry_NotOfferOwner",
        err_args=(w.offer, w.provider2.address),
    )


@T.row("removeOffer", "twice")
def _(w):
    w.registry.removeOffer(w.offer, {"from": w.provider})
    return _call(
        w, "removeOffer", w.offer, sender=w.provider, error="ProviderRegistry_OfferRemoved", err_args=(w.offer,)
    )


# --- market-only calls ---------------------------------------------------------------------


@T.row("setOfferJobPolicy", "wrong_caller")
def _(w):
    return _call(
        w,
        "setOfferJobPolicy",
        w.offer,
        1,
        0,
        sender=w.stranger,
        error="ProviderRegistry_NotOfferOwner",
        err_args=(w.offer, w.stranger.address),
    )


@T.row("setOfferJobPolicy", "setup_above_the_longest_job")
def _(w):
    longest = w.registry.MAX_JOB_MIN_RESULT_TIMEOUT_SECONDS()
    return _call(
        w,
        "setOfferJobPolicy",
        w.offer,
        1,
        longest + 1,
        sender=w.provider,
        error="ProviderRegistry_InvalidJobPolicy",
        err_args=(longest + 1, longest),
    )


@T.row("lockJobCollateral", "wrong_caller")
def _(w):
    return _missing_market_role(w, "lockJobCollateral", w.provider, w.offer, 1)


@T.row("tryReserve", "wrong_caller")
def _(w):
    return _missing_market_role(w, "tryReserve", w.offer, _terms(w))


@T.row("tryReserve", "provider_as_caller")
def _(w):
    role = bytes(w.config.MARKET_ROLE())
    return _call(
        w,
        "tryReserve",
        w.offer,
        _terms(w),
        sender=w.provider,
        error="Leasehold_MissingRole",
        err_args=(role, w.provider.address),
    )


@T.row("cacheSettlingMarket", "never_a_market")
def _(w):
    role = bytes(w.config.MARKET_ROLE())
    return _call(
        w,
        "cacheSettlingMarket",
        w.stranger,
        sender=w.stranger,
        error="Leasehold_MissingRole",
        err_args=(role, w.stranger.address),
    )


@T.row("release", "wrong_caller")
def _(w):
    return _missing_market_role(w, "release", _settlement(w), 1, 0)


@T.row("release", "zero_provider")
def _(w):
    zero = ZERO_ADDRESS
    return _call(
        w,
        "release",
        _settlement(w, provider=zero),
        1,
        0,
        sender=w.market_caller,
        error="ProviderRegistry_SettlementMismatch",
        err_args=(w.offer, zero),
    )


@T.row("release", "provider_not_offer_owner")
def _(w):
    return _call(
        w,
        "release",
        _settlement(w, provider=w.provider2),
        1,
        0,
        sender=w.market_caller,
        error="ProviderRegistry_SettlementMismatch",
        err_args=(w.offer, w.provider2.address),
    )


@T.row("release", "units_not_in_use")
def _(w):
    return _call(
        w,
        "release",
        _settlement(w, units=1),
        1,
        0,
        sender=w.market_caller,
        error="ProviderRegistry_UnitsInUseUnderflow",
        err_args=(1, 0),
    )


@T.row("release", "collateral_not_locked")
def _(w):
    open_lease(w, units=1)
    return _call(
        w,
        "release",
        _settlement(w, units=1, collateral=MAX_UINT128),
        1,
        0,
        sender=w.market_caller,
        error="ProviderRegistry_LockedStakeUnderflow",
        err_args=(MAX_UINT128, 2_000 * USD),
    )


@T.row("recordOutcome", "wrong_caller")
def _(w):
    return _missing_market_role(w, "recordOutcome", w.provider, 1)


@T.row("recordOutcome", "unregistered_account")
def _(w):
    return _call(
        w,
        "recordOutcome",
        w.stranger,
        1,
        sender=w.market_caller,
        error="ProviderRegistry_NotRegistered",
        err_args=(w.stranger.address,),
    )


@T.row("slash", "wrong_caller")
def _(w):
    return _missing_market_role(w, "slash", _settlement(w), (USD, 0, w.stranger, w.tenant))


@T.row("slash", "units_not_in_use")
def _(w):
    return _call(
        w,
        "slash",
        _settlement(w),
        (MAX_UINT128, 0, w.stranger, w.tenant),
        sender=w.market_caller,
        error="ProviderRegistry_UnitsInUseUnderflow",
        err_args=(1, 0),
    )


@T.row("slash", "unknown_offer")
def _(w):
    return _call(
        w,
        "slash",
        _settlement(w, offer=2**64 - 1),
        (USD, 0, w.stranger, w.tenant),
        sender=w.market_caller,
        error="ProviderRegistry_SettlementMismatch",
        err_args=(2**64 - 1, w.provider.address),
    )


ROWS = T.rows


claim_credit_row(T)


@pytest.mark.parametrize("row", T.params())
def test_hostile_call_is_refused_and_changes_nothing(anvil, world, row):
    run_row(anvil, world, row)
