"""Test-session wiring: an Anvil chain of our own, started and stopped by PID.

brownie attaches to whatever answers on the development network's port, so the
session starts Anvil on a free port first and points brownie at it. Suites run
side by side without fighting over port 8545.
"""

import contextlib

import brownie
import pytest

from keepers.devchain import Anvil
from scripts.localchain import recovering_dropped

_anvil = Anvil()
_session = contextlib.ExitStack()


def pytest_configure(config):
    _session.enter_context(recovering_dropped())
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

from helpers import USD, b32  # noqa: E402

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
def market(LeaseMarket, config, registry, token, governance, matcher):
    """The lease market, wired into config (MARKET_ROLE) with `matcher` holding MATCHER_ROLE."""
    contract = LeaseMarket.deploy(config, registry, token, {"from": governance})
    config.setRole(config.MARKET_ROLE(), contract, True, {"from": governance})
    config.setRole(config.MATCHER_ROLE(), matcher, True, {"from": governance})
    return contract
