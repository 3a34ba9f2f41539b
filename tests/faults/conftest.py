"""Fault-suite fixtures shared by every scenario module."""

import pytest

from recorder import FaultReport


@pytest.fixture(scope="session")
def fault_report():
    report = FaultReport()
    yield report
    report.write()
