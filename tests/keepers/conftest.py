"""Fixtures of the keeper framework tests: web3 on the session Anvil, a token, a funded key, a sender."""

import json
from pathlib import Path

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from keepers.config import TransactionsConfig
from keepers.journal import Journal
from keepers.observability import Metrics, make_logger
from keepers.sender import TransactionSender

from keeper_helpers import FakeClock

BUILD = Path(__file__).resolve().parents[2] / "build" / "contracts"


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
