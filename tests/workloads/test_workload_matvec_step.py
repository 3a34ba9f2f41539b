"""MatvecStepVerifier.step and isValidState against the NumPy executor and a plain-int reference."""

import numpy as np
import pytest
from brownie.test import given
from hypothesis import example, settings
from hypothesis import strategies as st

from keepers.workloads import Matvec, WorkloadError, keccak256

from helpers import reverts_with
from reference import matvec_step, row_values

MATVEC = Matvec()
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
SEEDS = st.binary(min_size=32, max_size=32)
# Step indices of a job are below 2^24, but the verifier takes any uint256.
INDICES = st.one_of(st.integers(min_value=0, max_value=2**24), st.integers(min_value=0, max_value=2**256 - 1))
INT32 = st.one_of(
    st.integers(min_value=INT32_MIN, max_value=INT32_MAX),
    st.sampled_from([INT32_MIN, INT32_MIN + 1, -1, 0, 1, 65536, INT32_MAX - 1, INT32_MAX]),
)
STATES = st.lists(INT32, min_size=16, max_size=16).map(lambda values: encode(values))


def encode(values: list[int]) -> bytes:
    return b"".join(value.to_bytes(4, "big", signed=True) for value in values)


def decode(state: bytes) -> list[int]:
    return [int.from_bytes(state[k : k + 4], "big", signed=True) for k in range(0, len(state), 4)]


@settings(max_examples=30)
@given(state=STATES, index=INDICES, seed=SEEDS)
@example(state=encode([0] * 16), index=0, seed=bytes(32))
@example(state=encode([INT32_MIN] * 16), index=1, seed=b"\x11" * 32)
@example(state=encode([INT32_MAX] * 16), index=2**24, seed=b"\xff" * 32)
@example(state=encode([INT32_MIN, INT32_MAX] * 8), index=2**256 - 1, seed=b"\x80" * 32)
def test_step_equals_python_step_bit_for_bit(matvec_verifier, state, index, seed):
    onchain = bytes(matvec_verifier.step(state, index, seed))
    assert onchain == MATVEC.step(state, index, seed)
    assert onchain == matvec_step(state, index, seed, width=16)


def test_extreme_state_hits_both_relu_and_saturation(matvec_verifier):
    state = encode([INT32_MAX] * 16)
    seed = keccak256(b"saturation")
    out = decode(bytes(matvec_verifier.step(state, 3, seed)))
    assert 0 in out
    assert INT32_MAX in out
    assert all(0 <= value <= INT32_MAX for value in out)
    assert bytes(matvec_verifier.step(state, 3, seed)) == MATVEC.step(state, 3, seed)


def test_zero_state_gives_relu_of_the_bias(matvec_verifier):
    seed = keccak256(b"bias")
    _, bias = MATVEC.weights(seed, 5)
    expected = [max(int(b), 0) for b in bias]
    assert decode(bytes(matvec_verifier.step(encode([0] * 16), 5, seed))) == expected


def test_weights_are_read_from_the_keccak_words_of_seed_index_row():
    seed = keccak256(b"weights")
    matrix, bias = MATVEC.weights(seed, 9)
    assert matrix.shape == (16, 16) and bias.shape == (16,)
    assert matrix.dtype == np.int64
    for row in range(16):
        assert [int(w) for w in matrix[row]] == row_values(seed, 9, row, 16)
    assert [int(b) for b in bias] == row_values(seed, 9, 16, 16)


def test_step_depends_on_index_and_seed(matvec_verifier):
    state = encode(list(range(1, 17)))
    seed = keccak256(b"depends")
    base = bytes(matvec_verifier.step(state, 0, seed))
    assert bytes(matvec_verifier.step(state, 1, seed)) != base
    assert bytes(matvec_verifier.step(state, 0, keccak256(b"other"))) != base


@pytest.mark.parametrize("length", [0, 4, 63, 65, 1024])
def test_revert_when_state_length_is_not_64(matvec_verifier, length):
    with reverts_with("StepVerifier_InvalidState"):
        matvec_verifier.step(b"\x01" * length, 0, bytes(32))
    with pytest.raises(WorkloadError, match=f"state is {length} bytes, expected 64"):
        MATVEC.step(b"\x01" * length, 0, bytes(32))


def test_revert_names_length_and_expected(matvec_verifier):
    with reverts_with(r"StepVerifier_InvalidState: 32, 64"):
        matvec_verifier.step(bytes(32), 0, bytes(32))


@pytest.mark.parametrize("length, valid", [(0, False), (32, False), (63, False), (64, True), (65, False)])
def test_is_valid_state_only_for_64_bytes(matvec_verifier, length, valid):
    assert matvec_verifier.isValidState(b"\x07" * length) is valid
    assert MATVEC.is_valid_state(b"\x07" * length) is valid


def test_python_refuses_a_seed_that_is_not_32_bytes():
    with pytest.raises(WorkloadError, match="seed is 31 bytes, expected 32"):
        MATVEC.step(bytes(64), 0, bytes(31))


def test_gas_of_one_step_is_well_under_200k(matvec_verifier, deployer):
    state = encode([INT32_MIN, INT32_MAX, -1, 1] * 4)
    tx = matvec_verifier.step.transact(state, 2**24 - 1, b"\xab" * 32, {"from": deployer})
    assert tx.status == 1
    assert tx.gas_used < 100_000
