"""Fixtures of the workload tests: the trace proof harness. The on-chain step verifiers are
tests/conftest.py's `hashchain_verifier` and `matvec_verifier`."""

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def trace_harness(TraceProofsHarness, deployer):
    return TraceProofsHarness.deploy({"from": deployer})
