"""Test-session wiring and the fixtures more than one test folder uses.

brownie attaches to whatever answers on the development network's port, so the
session starts Anvil on a free port first and points brownie at it. Suites run
side by side without fighting over port 8545.

Fixtures live in the conftest.py of the narrowest folder that holds every test
using them; a test module never imports fixtures from another module. Here: the
protocol as the contract suites build it (role-named accounts, config, registry,
lease market, job market, `ctx`), used by tests/market, jobs, registry, config,
security and workloads; and the protocol as scripts/deploy.py deploys it for the
keepers (`protocol`, `funded_key`, `keeper_config`, `client_for`), used by
tests/keepers and tests/faults. A folder's conftest.py may replace one of them
(tests/market's `job_market` is a recording double).
"""

import contextlib
from types import SimpleNamespace

import brownie
import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from keepers.client import connect
from keepers.config import KeeperConfig
from keepers.devchain import Anvil
from keepers.observability import make_logger
from scripts.deploy import bond_matcher, deploy, local_matcher_bond, matcher_bond_params, write_deployment
from scripts.localchain import recovering_dropped

from helpers import KEY_ENV, USD, ZERO_ADDRESS, b32, register_with_offer
from jobs.support import (
    EU_WEST,
    FUNDS,
    HASHCHAIN,
    MATVEC,
    MATVEC256,
    OFFER_PRICE,
    OFFER_UNITS,
    STAKE,
    Driver,
)

_anvil = Anvil()
_session = contextlib.ExitStack()


def pytest_configure(config):
    _session.enter_context(recovering_dropped())
    if config.getoption("coverage", default=False):
        # Brownie maps each transaction's opcode steps to source lines; Anvil records them only
        # when asked (`make coverage`, scripts/coverage.py).
        _anvil.extra_args.append("--steps-tracing")
    _anvil.start()
    for network_id in ("development", "anvil"):
        brownie._CONFIG.networks[network_id]["cmd_settings"]["port"] = _anvil.port


def pytest_unconfigure(config):
    _anvil.stop()
    _session.close()


@pytest.fixture(scope="session")
def anvil():
    return _anvil


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the same chain state (evm_snapshot / evm_revert) and a zero base fee.

    Anvil keeps its base fee across evm_revert, so a test that raised it (the sender's stuck
    transaction tests) would otherwise leave later tests' zero-price transactions unminable.
    """
    _anvil.rpc("anvil_setNextBlockBaseFeePerGas", ["0x0"])


# ----------------------------------------------------------------------------
# Protocol fixtures: role-named accounts, the token, config and registry.
# Module-scoped: deployed once per module, then every test reverts to them.
# ----------------------------------------------------------------------------

H100 = b32("nvidia-h100-80gb")
H100_VRAM_GB = 80
H100_TIER = 4
H100_COLLATERAL_PER_UNIT = 2_000 * USD


@pytest.fixture(scope="module")
def governance(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def treasury(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def provider(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def provider2(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def tenant(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def matcher(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def market_caller(accounts):
    """An EOA holding MARKET_ROLE, so registry market calls can be tested directly."""
    return accounts[6]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def token(TestStablecoin, governance):
    """A 6-decimal stablecoin used as both the stake and the payment token."""
    return TestStablecoin.deploy({"from": governance})


@pytest.fixture(scope="module")
def config(ProtocolConfig, governance, treasury):
    return ProtocolConfig.deploy(governance, treasury, {"from": governance})


@pytest.fixture(scope="module")
def h100(config, governance):
    """The listed GPU model "nvidia-h100-80gb": 80 GB, tier 4 (Ultra), 2,000 USD collateral a unit."""
    config.setGpuModel(H100, H100_VRAM_GB, H100_TIER, H100_COLLATERAL_PER_UNIT, True, {"from": governance})
    return H100


@pytest.fixture(scope="module")
def registry(ProviderRegistry, config, token, governance, market_caller, h100):
    contract = ProviderRegistry.deploy(config, token, {"from": governance})
    config.setRole(config.MARKET_ROLE(), market_caller, True, {"from": governance})
    return contract


@pytest.fixture(scope="module")
def lease_liveness(LeaseLiveness, governance):
    """The library LeaseMarket links: brownie links the one deployed last into every LeaseMarket."""
    return LeaseLiveness.deploy({"from": governance})


@pytest.fixture(scope="module")
def matcher_bonds(MatcherBonds, config, registry, token, governance):
    """MatcherBonds with the deploy script's defaults; the lease market is named by `market`."""
    return MatcherBonds.deploy(config, registry, token, matcher_bond_params(token.decimals()), {"from": governance})


@pytest.fixture(scope="module")
def market(LeaseMarket, lease_liveness, config, registry, token, governance, matcher, matcher_bonds):
    """The lease market, wired into config (MARKET_ROLE) and MatcherBonds, with `matcher` bonded
    (and holding MATCHER_ROLE, which the lease market no longer reads)."""
    contract = LeaseMarket.deploy(config, registry, token, matcher_bonds, {"from": governance})
    config.setRole(config.MARKET_ROLE(), contract, True, {"from": governance})
    registry.cacheSettlingMarket(contract, {"from": governance})
    matcher_bonds.setLeaseMarket(contract, {"from": governance})
    config.setRole(config.MATCHER_ROLE(), matcher, True, {"from": governance})
    bond_matcher(matcher_bonds, token, matcher)
    return contract


# ----------------------------------------------------------------------------
# The whole protocol: the job market beside the lease market, wired as the deploy
# script wires it, the reference workloads registered, two providers with an H100
# offer each, a verifier, three arbiters and funded parties (tests/jobs, tests/security).
# ----------------------------------------------------------------------------

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="module")
def lease_market(market):
    """The shared `market` fixture, under the name job tests read better with."""
    return market


@pytest.fixture(scope="module")
def hashchain_verifier(HashchainStepVerifier, governance):
    return HashchainStepVerifier.deploy({"from": governance})


@pytest.fixture(scope="module")
def matvec_verifier(MatvecStepVerifier, governance):
    return MatvecStepVerifier.deploy({"from": governance})


@pytest.fixture(scope="module")
def job_disputes(JobDisputes, governance):
    """The library JobMarket links: brownie links the one deployed last into every JobMarket."""
    return JobDisputes.deploy({"from": governance})


@pytest.fixture(scope="module")
def job_market(
    JobMarket, job_disputes, config, registry, token, lease_market, governance, hashchain_verifier, matvec_verifier
):
    contract = JobMarket.deploy(config, registry, token, lease_market, {"from": governance})
    config.setRole(config.MARKET_ROLE(), contract, True, {"from": governance})
    registry.cacheSettlingMarket(contract, {"from": governance})
    lease_market.setJobMarket(contract, {"from": governance})
    contract.setWorkload(HASHCHAIN, hashchain_verifier, False, {"from": governance})
    contract.setWorkload(MATVEC, matvec_verifier, False, {"from": governance})
    contract.setWorkload(MATVEC256, ZERO_ADDRESS, True, {"from": governance})
    return contract


@pytest.fixture(scope="module")
def verifier(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def challenger(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def arbiters(accounts):
    return [accounts.add() for _ in range(3)]


def _provider_with_offer(registry, token, account, gpu_model):
    return register_with_offer(
        registry,
        token,
        account,
        region=EU_WEST,
        metadata_uri="https://gpu.example.org/p.json",
        stake=STAKE,
        gpu_model=gpu_model,
        units=OFFER_UNITS,
        price=OFFER_PRICE,
        max_duration=30 * 86_400,
    )


@pytest.fixture(scope="module")
def ctx(
    config,
    registry,
    token,
    lease_market,
    job_market,
    governance,
    treasury,
    provider,
    provider2,
    tenant,
    matcher,
    stranger,
    verifier,
    challenger,
    arbiters,
    h100,
    hashchain_verifier,
    matvec_verifier,
    matcher_bonds,
):
    """Everything a job test needs, in one namespace, with a Driver for the parties' moves."""
    offer = _provider_with_offer(registry, token, provider, h100)
    offer2 = _provider_with_offer(registry, token, provider2, h100)
    config.setRole(config.VERIFIER_ROLE(), verifier, True, {"from": governance})
    for arbiter in arbiters:
        config.setRole(config.ARBITER_ROLE(), arbiter, True, {"from": governance})
    for account in (tenant, stranger, verifier, challenger, provider, provider2, *arbiters):
        token.mint(account, FUNDS, {"from": account})
        token.approve(job_market, MAX_UINT, {"from": account})
        token.approve(lease_market, MAX_UINT, {"from": account})
    salts = iter(range(1, 10**6))
    namespace = SimpleNamespace(
        config=config,
        registry=registry,
        token=token,
        market=lease_market,
        job_market=job_market,
        matcher_bonds=matcher_bonds,
        governance=governance,
        treasury=treasury,
        provider=provider,
        provider2=provider2,
        tenant=tenant,
        matcher=matcher,
        stranger=stranger,
        verifier=verifier,
        challenger=challenger,
        arbiters=arbiters,
        offer=offer,
        offer2=offer2,
        hashchain_verifier=hashchain_verifier,
        matvec_verifier=matvec_verifier,
        next_salt=lambda: next(salts),
    )
    namespace.driver = Driver(namespace)
    return namespace


@pytest.fixture(scope="module")
def driver(ctx):
    return ctx.driver


# ----------------------------------------------------------------------------
# The protocol for the keepers: deployed once per module by scripts/deploy.py and
# written to a deployment file, read over web3 by funded keys, keeper configurations
# and clients pointing at it (tests/keepers, tests/faults).
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def protocol(accounts, tmp_path_factory):
    """(brownie Deployment, path of its deployment file)."""
    deployment = deploy(accounts[0])
    return deployment, write_deployment(deployment, tmp_path_factory.mktemp("deployments"))


@pytest.fixture(scope="module")
def matcher_account(protocol, accounts):
    """A brownie account bonded as a matcher (and holding MATCHER_ROLE)."""
    deployment, _ = protocol
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), accounts[5], True, {"from": accounts[0]})
    # Bonded for a busy market: the exposure cap allows half the bond of value per window.
    token = deployment.payment_token
    bond_matcher(deployment.matcher_bonds, token, accounts[5], local_matcher_bond(token))
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
    """A keeper configuration for `account` (state in a directory of its own), as data for TOML or pydantic,
    and the environment holding its key."""
    _, deployment_path = protocol

    def make(account: Account, role: dict | None = None) -> tuple[dict, dict[str, str]]:
        data = {
            "chain": {
                "rpc_url": anvil.url,
                "chain_id": 31337,
                "deployment": str(deployment_path),
                "poll_interval_seconds": 0.2,
                "confirmations": 0,
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
