"""The hostile tables cover the contracts, and the checker they rely on can fail.

- Every external state-changing function in the ABIs of the protocol contracts and the step
  verifiers has at least one refused row: a new function without a row fails here.
- Every custom error the protocol declares is expected by some hostile row, or is listed below
  with the test that reaches it instead.
- The nothing-changed checker sees a change, a wrong error and a wrong argument.
"""

from pathlib import Path

import brownie
import pytest

from helpers import USD
from security import (
    test_hostile_job_market,
    test_hostile_lease_market,
    test_hostile_matcher_bonds,
    test_hostile_protocol_config,
    test_hostile_provider_registry,
)
from security.hostile_support import assert_refused_without_effect, dump_accounts, state_diff

TABLES = {
    "ProtocolConfig": test_hostile_protocol_config.ROWS,
    "ProviderRegistry": test_hostile_provider_registry.ROWS,
    "LeaseMarket": test_hostile_lease_market.ROWS,
    "JobMarket": test_hostile_job_market.ROWS,
    "MatcherBonds": test_hostile_matcher_bonds.ROWS,
    "HashchainStepVerifier": [],
    "MatvecStepVerifier": [],
}

# Errors no hostile row expects, and where they are reached instead.
REACHED_ELSEWHERE = {
    # A short-delivering token: the awkward-token suite and tests/registry, tests/market.
    "Leasehold_TransferAmountMismatch": "fee-on-transfer token tests",
    # Reachable only from the LeaseMarket, which never sends them (openJob is called once per
    # match, with the tenant and provider of the match and terms checked published).
    "JobMarket_JobExists": "defence in depth; tests/jobs/test_open_job.py",
    "JobMarket_InvalidJob": "defence in depth; tests/jobs/test_open_job.py",
    "JobMarket_TermsNotPublished": "defence in depth; tests/jobs/test_open_job.py",
    # MatcherBonds: the deploy script names the lease market at deployment, and a fresh deployment
    # has no match made before MatcherBonds existed (docs/matching-accountability.md).
    "MatcherBonds_LeaseMarketUnset": "unreachable once deployed (scripts/deploy.py)",
    "MatcherBonds_UnknownMatcher": "unreachable in a fresh deployment: every match records a bonded matcher",
    # A constructor argument; Ownable2Step's transferOwnership accepts zero (it cancels a transfer).
    "OwnableInvalidOwner": "tests/config/test_constructor.py",
    # The step verifiers' own input check, called through proveStep/publishJobTerms.
    "StepVerifier_InvalidState": "tests/workloads",
    # OpenZeppelin internals the protocol never reaches from outside.
    "ReentrancyGuardReentrantCall": "reentrancy suite (tests/security/test_reentrancy*.py)",
    "SafeERC20FailedOperation": "awkward-token suite",
    # EIP712's name and version are constants shorter than 32 bytes: they always fit a ShortString.
    "InvalidShortString": "unreachable: EIP712 domain strings are short constants",
    "StringTooLong": "unreachable: EIP712 domain strings are short constants",
    "SafeCastOverflowedUintDowncast": (
        "unreachable: the lease market matches offer ids below 2^40 and at most 1024 units; "
        "bonds stay below 2^40 (config bound)"
    ),
}

SECURITY_DIR = Path(__file__).parent


def _state_changing(contract) -> set[str]:
    return {
        item["name"]
        for item in contract.abi
        if item["type"] == "function" and item["stateMutability"] not in ("view", "pure")
    }


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_state_changing_function_has_a_refused_row(name):
    functions = _state_changing(getattr(brownie.project.get_loaded_projects()[0], name))
    covered = {row.function for row in TABLES[name]}
    assert functions - covered == set(), f"{name}: functions without a hostile row"
    assert covered - functions == set(), f"{name}: rows for functions the ABI does not have"
    # Each function needs at least one row whose case is a refusal (not only the allowed side).
    for function in functions:
        cases = [row.case for row in TABLES[name] if row.function == function]
        assert any("allowed" not in case for case in cases), f"{name}.{function}: only allowed-side rows"


def test_every_declared_error_is_expected_by_a_row_or_reached_elsewhere():
    project = brownie.project.get_loaded_projects()[0]
    declared = set()
    for name in TABLES:
        declared |= {item["name"] for item in getattr(project, name).abi if item["type"] == "error"}
    rows = [*SECURITY_DIR.glob("test_hostile_*.py"), SECURITY_DIR / "hostile_support.py"]  # shared rows live there
    sources = "".join(path.read_text() for path in rows)
    missing = {error for error in declared if f'"{error}"' not in sources and error not in REACHED_ELSEWHERE}
    assert missing == set(), "errors no hostile row expects: " + ", ".join(sorted(missing))
    assert set(REACHED_ELSEWHERE) <= declared, "stale entries in REACHED_ELSEWHERE"


# --- the checker itself ------------------------------------------------------------------------


def test_state_diff_ignores_only_the_callers_gas():
    before = {
        "0xa": {"nonce": 1, "balance": "0x10", "code": "0x", "storage": {"0x1": "0x5"}},
        "0xb": {"nonce": 1, "balance": "0x10", "code": "0x", "storage": {}},
    }
    after = {
        "0xa": {"nonce": 2, "balance": "0x0f", "code": "0x", "storage": {"0x1": "0x5", "0x2": "0x0"}},
        "0xb": {"nonce": 2, "balance": "0x10", "code": "0x", "storage": {}},
    }
    assert state_diff(before, after, "0xA", {"0xb": "other"}) == ["other.nonce: 1 -> 2"]
    after["0xa"]["storage"]["0x1"] = "0x6"
    assert state_diff(before, after, "0xa", {}) == ["0xa.storage[0x1]: 0x5 -> 0x6", "0xb.nonce: 1 -> 2"]


def test_the_checker_sees_a_token_balance_change(anvil, token, accounts):
    before = dump_accounts(anvil)
    token.mint(accounts[1], USD, {"from": accounts[1]})
    changes = state_diff(before, dump_accounts(anvil), str(accounts[1]), {str(token.address).lower(): "token"})
    assert changes and all(line.startswith("token.storage[") for line in changes)


def test_the_checker_fails_when_the_call_succeeds(anvil, token, accounts):
    with pytest.raises(AssertionError):
        assert_refused_without_effect(
            anvil,
            lambda: token.mint(accounts[1], USD, {"from": accounts[1]}),
            accounts[1],
            "ERC20InsufficientBalance",
            None,
            {},
        )


def test_the_checker_fails_on_another_error_or_other_arguments(anvil, token, accounts):
    balance = token.balanceOf(accounts[1])

    def call():
        return token.transfer(accounts[2], balance + 1, {"from": accounts[1]})

    args = (accounts[1].address, balance, balance + 1)
    assert_refused_without_effect(anvil, call, accounts[1], "ERC20InsufficientBalance", args, {})
    with pytest.raises(AssertionError):
        assert_refused_without_effect(anvil, call, accounts[1], "ERC20InsufficientAllowance", None, {})
    with pytest.raises(AssertionError):
        assert_refused_without_effect(
            anvil, call, accounts[1], "ERC20InsufficientBalance", (accounts[1].address, balance, balance + 2), {}
        )
