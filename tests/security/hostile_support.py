"""Support for the hostile-input and front-running suites: a whole-chain "nothing changed"
checker, the row type of the hostile tables, helpers that set up leases in the protocol world
the rows run against (tests/security/conftest.py's `world`), and clock helpers for boundary rows.

The checker compares Anvil's `anvil_dumpState` before and after a refused call: every account's
balance, nonce, code and storage (token balances are token storage, so they are covered too).
Only the caller's nonce and ETH balance may differ: a refused transaction is still mined and
pays its gas.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import brownie
import pytest

from helpers import reverts_with, reverts_with_args
from market.support import spec

MAX_UINT256 = 2**256 - 1
MAX_UINT128 = 2**128 - 1
MAX_UINT96 = 2**96 - 1
MAX_UINT40 = 2**40 - 1
MAX_UINT32 = 2**32 - 1
MAX_UINT16 = 2**16 - 1
MAX_UINT8 = 2**8 - 1

# The deposit the lease rows use: a day at the offer's 2 USD per unit-hour for 2 units, plus
# the match fee and the settle bounty (market.support.DEPOSIT).
LEASE_DEPOSIT = 2 * 2 * 10**6 * 24 + 10**6 // 2 + 10**6 // 4


# ---------------------------------------------------------------------------------------------
# Whole-chain state
# ---------------------------------------------------------------------------------------------


def dump_accounts(anvil) -> dict:
    """Every account Anvil knows, as {address: {nonce, balance, code, storage}}."""
    raw = bytes.fromhex(anvil.rpc("anvil_dumpState")[2:])
    with contextlib.suppress(OSError):  # an uncompressed dump stays as it is
        raw = gzip.decompress(raw)
    accounts = json.loads(raw)["accounts"]
    return {address.lower(): state for address, state in accounts.items()}


_EMPTY_ACCOUNT = {"nonce": 0, "balance": "0x0", "code": "0x", "storage": {}}


def _normalised(account: dict | None) -> dict:
    """An account as the EVM sees it: a zero storage slot is the same as an absent one (Anvil's
    dump keeps the empty slots a call merely read), a missing account is an empty one."""
    account = dict(account or _EMPTY_ACCOUNT)
    account["balance"] = hex(int(account.get("balance", "0x0"), 16))
    account["storage"] = {slot: value for slot, value in account.get("storage", {}).items() if int(value, 16) != 0}
    return account


def state_diff(before: dict, after: dict, caller: str | None, labels: dict[str, str]) -> list[str]:
    """Readable differences between two dumps, ignoring the caller's gas (nonce and ETH)."""
    caller = caller.lower() if caller else None
    lines = []
    for address in sorted(set(before) | set(after)):
        old = _normalised(before.get(address))
        new = _normalised(after.get(address))
        if address == caller:
            for key in ("nonce", "balance"):
                old.pop(key, None)
                new.pop(key, None)
        if old == new:
            continue
        name = labels.get(address, address)
        for key in ("nonce", "balance", "code"):
            if old.get(key) != new.get(key):
                lines.append(f"{name}.{key}: {old.get(key)} -> {new.get(key)}")
        old_storage, new_storage = old.get("storage", {}), new.get("storage", {})
        for slot in sorted(set(old_storage) | set(new_storage)):
            if old_storage.get(slot) != new_storage.get(slot):
                lines.append(f"{name}.storage[{slot}]: {old_storage.get(slot)} -> {new_storage.get(slot)}")
    return lines


def expect_revert(error: str, args: tuple | None):
    """brownie.reverts for a custom error: by name and, when `args` is given, exactly these args."""
    return reverts_with(error) if args is None else reverts_with_args(error, *args)


def assert_refused_without_effect(anvil, call: Callable, caller, error: str, args: tuple | None, labels: dict):
    """Runs `call`, which must revert with `error(args)`, and asserts the chain is as before."""
    before = dump_accounts(anvil)
    with expect_revert(error, args):
        call()
    after = dump_accounts(anvil)
    changes = state_diff(before, after, str(caller), labels)
    assert not changes, f"refused call changed state ({error}):\n" + "\n".join(changes)


def assert_succeeds_without_effect(anvil, call: Callable, caller, labels: dict):
    """Runs `call`, which must succeed, and asserts it changed nothing but the caller's gas."""
    before = dump_accounts(anvil)
    tx = call()
    assert tx.status == 1
    after = dump_accounts(anvil)
    changes = state_diff(before, after, str(caller), labels)
    assert not changes, "inert call changed state:\n" + "\n".join(changes)
    return tx


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One hostile call, built by a row against the world: who sends it and what must happen.

    `error` set: the call must revert with it (and `args` when given) and change nothing.
    `error` None and `inert` True: it must succeed and change nothing (a skipped batch pair);
    `check(tx)` then asserts why.
    `error` None and `inert` False: it is the allowed side of a boundary; `check(tx)` then
    asserts what it did.
    """

    call: Callable
    caller: object
    error: str | None = None
    args: tuple | None = None
    inert: bool = False
    check: Callable | None = None


@dataclass
class Row:
    contract: str
    function: str
    case: str
    build: Callable[[SimpleNamespace], Attempt]

    @property
    def id(self) -> str:
        return f"{self.contract}.{self.function}:{self.case}"


@dataclass
class Table:
    """The hostile rows of one contract; `row` registers a builder."""

    contract: str
    rows: list[Row] = field(default_factory=list)

    def row(self, function: str, case: str):
        def register(build):
            self.rows.append(Row(self.contract, function, case, build))
            return build

        return register

    def params(self):
        return [pytest.param(r, id=r.id) for r in self.rows]


def claim_credit_row(table: Table) -> None:
    """Registers `claimCredit` with nothing to claim, refused with `Leasehold_NoCredit`. A credit exists
    only after the token refused a settlement payout; tests/security/test_tokens_*.py claim real ones."""
    attribute = {"LeaseMarket": "market", "JobMarket": "job_market", "ProviderRegistry": "registry"}[table.contract]

    @table.row("claimCredit", "no_credit")
    def _(w):
        contract = getattr(w, attribute)
        return Attempt(
            lambda: contract.claimCredit({"from": w.stranger}),
            w.stranger,
            "Leasehold_NoCredit",
            (w.stranger.address,),
            False,
            None,
        )


def sweep_fees_row(table: Table) -> None:
    """Registers `sweepFees` with nothing accrued, refused with `Leasehold_NoFees`: fees the world
    accrued are swept first, so the second sweep finds none. A sweep to a treasury the token refuses
    is in tests/security/test_tokens_*.py."""
    attribute = {"LeaseMarket": "market", "JobMarket": "job_market"}[table.contract]

    @table.row("sweepFees", "nothing_accrued")
    def _(w):
        contract = getattr(w, attribute)
        if contract.accruedFees() > 0:
            contract.sweepFees({"from": w.stranger})
        return Attempt(
            lambda: contract.sweepFees({"from": w.stranger}), w.stranger, "Leasehold_NoFees", None, False, None
        )


def around(table: Table, function: str, deadline: str, allowed: tuple[int, ...], build: Callable) -> None:
    """Registers the three rows of a deadline for `function`: one second before it, exactly at it
    and one second after. `build(w, offset)` returns the Attempt for that offset; `allowed` names
    the offsets (-1, 0, 1) where the call must succeed, the others must be refused."""
    for offset in (-1, 0, 1):
        case = deadline + {-1: "_minus_1s", 0: "_exactly", 1: "_plus_1s"}[offset]
        if offset in allowed:
            case += "_allowed"
        table.row(function, case)(lambda w, offset=offset: build(w, offset))


def run_row(anvil, w, row: Row):
    attempt = row.build(w)
    if attempt.error is not None:
        assert_refused_without_effect(anvil, attempt.call, attempt.caller, attempt.error, attempt.args, w.labels)
    elif attempt.inert:
        tx = assert_succeeds_without_effect(anvil, attempt.call, attempt.caller, w.labels)
        if attempt.check is not None:
            attempt.check(tx)
    else:
        tx = attempt.call()
        assert tx.status == 1, f"{row.id}: the allowed side failed"
        if attempt.check is not None:
            attempt.check(tx)


# ---------------------------------------------------------------------------------------------
# Clock
# ---------------------------------------------------------------------------------------------


def at(timestamp: int) -> None:
    """The next transaction is mined at exactly `timestamp` (Anvil accepts the latest block's own)."""
    if brownie.chain[-1].timestamp > timestamp:
        raise AssertionError(f"cannot run at {timestamp}: the chain is already at {brownie.chain[-1].timestamp}")
    brownie.web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def now() -> int:
    return brownie.chain[-1].timestamp


# ---------------------------------------------------------------------------------------------
# In the world
# ---------------------------------------------------------------------------------------------


def b32_bytes(hex_or_bytes) -> bytes:
    """A bytes32 as brownie renders it in a decoded error."""
    if isinstance(hex_or_bytes, (bytes, bytearray)):
        return bytes(hex_or_bytes)
    return bytes.fromhex(str(hex_or_bytes)[2:])


def open_lease(w, deposit: int = LEASE_DEPOSIT, offer=None, tenant=None, **spec_overrides):
    """A RENTAL request matched with `offer` (the provider's by default); returns (id, startTime)."""
    request_id = w.market.createRequest(spec(**spec_overrides), deposit, {"from": tenant or w.tenant}).return_value
    tx = w.market.matchRequests([(request_id, offer or w.offer)], {"from": w.matcher})
    assert "LeaseStarted" in tx.events
    return request_id, tx.timestamp


def open_request(w, deposit: int = LEASE_DEPOSIT, **spec_overrides):
    """An open RENTAL request of the tenant; returns (id, matchDeadline)."""
    fields = spec(**spec_overrides)
    request_id = w.market.createRequest(fields, deposit, {"from": w.tenant}).return_value
    return request_id, fields[8]


def challenged_lease(w, challenger=None):
    """A lease with an open liveness challenge; returns (id, challengedAt)."""
    lease, start = open_lease(w)
    params = w.config.params().dict()
    at(start + params["livenessSpacingSeconds"])
    tx = w.market.challengeLiveness(lease, {"from": challenger or w.stranger})
    return lease, tx.timestamp


def params_of(w) -> dict:
    return w.config.params().dict()
