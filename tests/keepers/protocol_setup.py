"""The deployed protocol for keeper tests: deployed once per module with brownie and written
to a deployment file, plus funded keys, keeper configurations and clients pointing at it.

Import the fixtures by name into a test module (`from protocol_setup import protocol, ...`).
"""

import json

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from keepers.cli import main
from keepers.client import RequestSpec, connect
from keepers.config import KeeperConfig
from keepers.observability import make_logger
from scripts.deploy import deploy, write_deployment

USD = 10**6
HOUR = 3_600
H100 = "nvidia-h100-80gb"
H100_COLLATERAL = 3_000 * USD  # deployments/gpu-catalogue.json, whole tokens scaled by 6 decimals
KEY_ENV = "KEEPER_TEST_KEY"  # not LEASEHOLD_*: those override config keys


@pytest.fixture(scope="module")
def protocol(accounts, tmp_path_factory):
    """(brownie Deployment, path of its deployment file)."""
    deployment = deploy(accounts[0])
    return deployment, write_deployment(deployment, tmp_path_factory.mktemp("deployments"))


@pytest.fixture(scope="module")
def matcher_account(protocol, accounts):
    """A brownie account holding MATCHER_ROLE."""
    deployment, _ = protocol
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), accounts[5], True, {"from": accounts[0]})
    return accounts[5]


@pytest.fixture
def w3(anvil):
    return Web3(HTTPProvider(anvil.url))


@pytest.fixture
def funded_key(protocol, w3, accounts):
    """Makes a new key holding ether and `tokens` of the test stablecoin."""
    deployment, _ = protocol

    def make(tokens: int = 100_000 * USD) -> Account:
        account = Account.create()
        w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
        deployment.payment_token.mint(account.address, tokens, {"from": accounts[0]})
        return account

    return make


@pytest.fixture
def keeper_config(protocol, anvil, tmp_path):
    """A keeper configuration for `account` (state in a directory of its own), as data for TOML or pydantic."""
    _, deployment_path = protocol

    def make(account: Account, role: dict | None = None) -> tuple[dict, dict[str, str]]:
        data = {
            "chain": {
                "rpc_url": anvil.url, "chain_id": 31337, "deployment": str(deployment_path),
                "poll_interval_seconds": 0.2, "confirmations": 0,
            },
            "account": {"private_key_env": KEY_ENV},
            "transactions": {"state_dir": str(tmp_path / f"state-{account.address}"), "replace_after_seconds": 30},
            # Snapshots put the head block's timestamp minutes behind the wall clock in a long
            # session; /health must not call such a test chain stale.
            "metrics": {"host": "127.0.0.1", "port": 0, "stale_head_seconds": 10**9},
            "role": role or {},
        }
        return data, {KEY_ENV: account.key.hex()}

    return make


@pytest.fixture
def client_for(keeper_config):
    """A LeaseholdClient signing as `account`."""

    def make(account: Account):
        data, environ = keeper_config(account)
        return connect(KeeperConfig.model_validate(data), environ, make_logger("test", "client", "CRITICAL"))

    return make


def rental_spec(client, *, units=1, max_price=10 * USD, duration=4 * HOUR, region=None) -> RequestSpec:
    return RequestSpec(
        gpu_model=H100, units=units, region=region, max_price_per_unit_hour=max_price,
        max_duration_seconds=duration, match_deadline=client.now() + HOUR,
    )


def open_lease(market, matcher, provider_client, tenant_client, *, units=1, deposit=100 * USD) -> int:
    """Matches a new request of the tenant with the provider's first live H100 offer; returns the lease id.

    `market` is the brownie LeaseMarket and `matcher` a brownie account holding MATCHER_ROLE.
    """
    (offer,) = [o for o in provider_client.offers_of(provider_client.address) if o.gpu_model == H100]
    request_id = tenant_client.request_id_of(tenant_client.create_request(rental_spec(tenant_client, units=units), deposit))
    tx = market.matchRequests([(request_id, offer.offer_id)], {"from": matcher})
    assert "LeaseStarted" in tx.events, tx.events
    return request_id


def toml(data: dict) -> str:
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def cli(keeper_config, tmp_path, monkeypatch, capsys):
    """Runs `leasehold ...` in-process as `account`; returns (exit code, stdout, stderr)."""

    def run(account, *argv):
        data, environ = keeper_config(account)
        data.pop("role")
        path = tmp_path / f"{account.address}.toml"
        path.write_text(toml(data))
        monkeypatch.setenv(KEY_ENV, environ[KEY_ENV])
        capsys.readouterr()  # drop what brownie printed while setting up
        code = main([*argv, "--config", str(path)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def ok_json(result):
    code, out, err = result
    assert (code, err) == (0, ""), err
    return json.loads(out)
