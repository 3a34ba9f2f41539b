"""Test-session wiring: an Anvil chain of our own, started and stopped by PID.

brownie attaches to whatever answers on the development network's port, so the
session starts Anvil on a free port first and points brownie at it. Suites run
side by side without fighting over port 8545.
"""

import brownie
import pytest

from keepers.devchain import Anvil

_anvil = Anvil()


def pytest_configure(config):
    _anvil.start()
    for network_id in ("development", "anvil"):
        brownie._CONFIG.networks[network_id]["cmd_settings"]["port"] = _anvil.port


def pytest_unconfigure(config):
    _anvil.stop()


@pytest.fixture(scope="session")
def anvil():
    return _anvil


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the same chain state (evm_snapshot / evm_revert)."""
