"""Fixtures of the workload tests: the on-chain step verifiers and the trace proof harness."""

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def hashchain_verifier(HashchainStepVerifier, deployer):
    return HashchainStepVerifier.deploy({"from": deployer})


@pytest.fixture(scope="module")
def matvec_verifier(MatvecStepVerifier, deployer):
    return MatvecStepVerifier.deploy({"from": deployer})


@pytest.fixture(scope="module")
def trace_harness(TraceProofsHarness, deployer):
    return TraceProofsHarness.deploy({"from": deployer})
