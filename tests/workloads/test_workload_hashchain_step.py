"""HashchainStepVerifier.step and isValidState against the Python executor."""

import pytest
from brownie.test import given
from hypothesis import settings
from hypothesis import strategies as st

from keepers.workloads import Hashchain, WorkloadError

from helpers import reverts_with

HASHCHAIN = Hashchain()
KECCAK_OF_ZERO_WORD = bytes.fromhex("290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563")


@settings(max_examples=30)
@given(
    state=st.binary(min_size=32, max_size=32),
    index=st.integers(min_value=0, max_value=2**256 - 1),
    seed=st.binary(min_size=32, max_size=32),
)
def test_step_equals_python_step(hashchain_verifier, state, index, seed):
    assert bytes(hashchain_verifier.step(state, index, seed)) == HASHCHAIN.step(state, index, seed)


def test_step_of_zero_word_is_its_known_keccak(hashchain_verifier):
    zero = bytes(32)
    assert HASHCHAIN.step(zero, 0, zero) == KECCAK_OF_ZERO_WORD
    assert bytes(hashchain_verifier.step(zero, 0, zero)) == KECCAK_OF_ZERO_WORD


def test_step_ignores_index_and_seed(hashchain_verifier):
    state = bytes(range(32))
    assert bytes(hashchain_verifier.step(state, 0, bytes(32))) == bytes(hashchain_verifier.step(state, 7, b"\xff" * 32))


@pytest.mark.parametrize("length", [0, 1, 31, 33, 64])
def test_revert_when_state_length_is_not_32(hashchain_verifier, length):
    with reverts_with("StepVerifier_InvalidState"):
        hashchain_verifier.step(b"\x01" * length, 0, bytes(32))
    with pytest.raises(WorkloadError, match=f"state is {length} bytes, expected 32"):
        HASHCHAIN.step(b"\x01" * length, 0, bytes(32))


def test_revert_names_length_and_expected(hashchain_verifier):
    with reverts_with(r"StepVerifier_InvalidState: 31, 32"):
        hashchain_verifier.step(b"\x01" * 31, 0, bytes(32))


@pytest.mark.parametrize("length, valid", [(0, False), (31, False), (32, True), (33, False), (64, False)])
def test_is_valid_state_only_for_32_bytes(hashchain_verifier, length, valid):
    assert hashchain_verifier.isValidState(b"\x07" * length) is valid
    assert HASHCHAIN.is_valid_state(b"\x07" * length) is valid


def test_gas_of_one_step_is_small(hashchain_verifier, deployer):
    tx = hashchain_verifier.step.transact(bytes(32), 0, bytes(32), {"from": deployer})
    assert tx.status == 1
    assert tx.gas_used < 30_000
