"""Fault-suite fixtures shared by every scenario module.

The keeper tests' protocol, funded keys, keeper configurations and clients come from
tests/conftest.py; the helper modules of tests/keepers (protocol_setup, job_setup) are put
on the import path here, for the scenarios and this folder's helper modules.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "keepers"))

from keepers.config import KeeperConfig
from keepers.observability import make_logger

from keeper_faults import LogCapture
from recorder import FaultReport


@pytest.fixture(scope="session")
def fault_report():
    report = FaultReport()
    yield report
    report.write()


@pytest.fixture
def fault_keepers(keeper_config, tmp_path):
    """Builds in-process keepers whose logs are captured (`keeper.captured`); stops them all at the end.

    `state` names the keeper's state directory: two keepers of one account (an operator running
    a role twice) need separate ones. `transactions` and `chain` override those config sections.
    """
    built = []

    def make(cls, account, role=None, *, state=None, transactions=None, chain=None, start=True):
        data, environ = keeper_config(account, role)
        name = f"{cls.role}-{len(built)}"
        data["transactions"] |= {"state_dir": str(tmp_path / (state or name))} | (transactions or {})
        data["chain"] |= chain or {}
        captured = LogCapture()
        keeper = cls(
            KeeperConfig.model_validate(data),
            environ=environ,
            name=name,
            logger=make_logger(name, cls.role, "INFO", stream=captured),
        )
        keeper.captured = captured
        built.append(keeper)
        if start:
            keeper.start()
        return keeper

    yield make
    for keeper in built:
        keeper.stop()
