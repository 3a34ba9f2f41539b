"""Fixtures of the keeper framework tests: web3 on the session Anvil, a token, a funded key."""

import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from keepers.config import TransactionsConfig
from keepers.journal import Journal
from keepers.observability import Metrics, make_logger
from keepers.sender import TransactionSender

BUILD = Path(__file__).resolve().parents[2] / "build" / "contracts"
LOCAL_CHAIN_ID = 31337


class FakeClock:
    """A clock the sender reads and a sleep that advances it, then runs `on_sleep` (e.g. mine a block)."""

    def __init__(self):
        self.now = 0.0
        self.on_sleep = None

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


@pytest.fixture
def w3(anvil):
    return Web3(HTTPProvider(anvil.url))


@pytest.fixture
def token(w3):
    artefact = json.loads((BUILD / "TestStablecoin.json").read_text())
    factory = w3.eth.contract(abi=artefact["abi"], bytecode=artefact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": w3.eth.accounts[0]}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artefact["abi"])


@pytest.fixture
def keeper_account(w3):
    account = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    return account


@pytest.fixture
def make_sender(w3, keeper_account, tmp_path):
    def make(*, clock=None, metrics=None, **overrides):
        settings = {
            "priority_fee_gwei": 1, "max_fee_gwei": 100, "replace_after_seconds": 5,
            "fee_bump_percent": 12.5, "max_retries": 3, "state_dir": tmp_path / "state",
        }
        config = TransactionsConfig(**{**settings, **overrides})
        clock = clock or FakeClock()
        return TransactionSender(
            w3, keeper_account, config, Journal(config.state_dir), metrics or Metrics(),
            make_logger("test", "sender"), clock=clock, sleep=clock.sleep, poll_seconds=1.0,
        )

    return make


@contextmanager
def automine_off(w3):
    """Holds transactions in the pool until a test mines them; restores automine even on failure."""
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        yield
    finally:
        w3.provider.make_request("evm_setAutomine", [True])


# With the latest base fee at LOW_BASE_FEE the sender caps its first version at
# 2 * 1 + 1 (priority) = 3 gwei; blocks at STUCK_BASE_FEE cannot include it.
LOW_BASE_FEE = 10**9
STUCK_BASE_FEE = 3_200_000_000


def mine_with_base_fee(w3, base_fee_wei):
    w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base_fee_wei)])
    w3.provider.make_request("evm_mine", [])
