"""Fixtures of the keeper tests: a token, a funded account and a sender for the framework tests;
the `leasehold` command run in-process; keepers started for a test and stopped after it.

The deployed protocol, `w3`, funded keys, keeper configurations and clients come from
tests/conftest.py.
"""

import json
from pathlib import Path

import pytest
from eth_account import Account

from keepers.cli import main
from keepers.config import KeeperConfig, TransactionsConfig
from keepers.journal import Journal
from keepers.observability import Metrics, make_logger
from keepers.sender import TransactionSender
from scripts.deploy import bond_matcher, local_matcher_bond

from keeper_helpers import FakeClock
from protocol_setup import toml

BUILD = Path(__file__).resolve().parents[2] / "build" / "contracts"


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
            "priority_fee_gwei": 1,
            "max_fee_gwei": 100,
            "replace_after_seconds": 5,
            "fee_bump_percent": 12.5,
            "max_retries": 3,
            "state_dir": tmp_path / "state",
        }
        config = TransactionsConfig(**{**settings, **overrides})
        clock = clock or FakeClock()
        return TransactionSender(
            w3,
            keeper_account,
            config,
            Journal(config.state_dir),
            metrics or Metrics(),
            make_logger("test", "sender"),
            clock=clock,
            sleep=clock.sleep,
            poll_seconds=1.0,
        )

    return make


@pytest.fixture
def cli(keeper_config, tmp_path, monkeypatch, capsys):
    """Runs `leasehold ...` in-process as `account`; returns (exit code, stdout, stderr)."""

    def run(account, *argv):
        data, environ = keeper_config(account)
        data.pop("role")
        path = tmp_path / f"{account.address}.toml"
        path.write_text(toml(data))
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()  # drop what brownie printed while setting up
        code = main([*argv, "--config", str(path)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def make_keeper(keeper_config):
    """Builds and starts a keeper of class `cls` for `account`; every one is stopped when the test ends."""
    started = []

    def make(cls, account, role=None, name=None):
        data, environ = keeper_config(account, role)
        name = name or f"{cls.role}-{account.address[:8]}"
        keeper = cls(
            KeeperConfig.model_validate(data),
            environ=environ,
            name=name,
            logger=make_logger(name, cls.role, "CRITICAL"),
        )
        started.append(keeper)
        keeper.start()
        return keeper

    yield make
    for keeper in started:
        keeper.stop()


@pytest.fixture
def matcher_key(protocol, funded_key, accounts):
    """Makes a new funded key holding MATCHER_ROLE and a matcher bond: by default one for a busy
    market (the exposure cap allows half the bond of value per window), `minimum_bond` the least
    MatcherBonds takes."""

    def make(*, minimum_bond: bool = False):
        key = funded_key()
        config = protocol[0].config
        config.setRole(config.MATCHER_ROLE(), key.address, True, {"from": accounts[0]})
        token = protocol[0].payment_token
        amount = None if minimum_bond else local_matcher_bond(token)
        bond_matcher(protocol[0].matcher_bonds, token, key.address, amount, payer=accounts[0])
        return key

    return make
