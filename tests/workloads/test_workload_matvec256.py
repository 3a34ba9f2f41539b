"""matvec-256: the width-256 executor, determinism and a known answer from the plain-int reference."""

import numpy as np
import pytest

from keepers.workloads import Matvec, Matvec256, WorkloadError, keccak256

from reference import matvec_step

MATVEC_256 = Matvec256()
SEED = keccak256(b"matvec-256")


def test_state_is_1024_bytes_and_arbiter_checked():
    assert MATVEC_256.state_length == 1024
    assert MATVEC_256.is_valid_state(bytes(1024))
    assert not MATVEC_256.is_valid_state(bytes(64))
    assert MATVEC_256.onchain is False


def test_weights_are_256_by_256_from_sixteen_words_per_row():
    matrix, bias = MATVEC_256.weights(SEED, 3)
    assert matrix.shape == (256, 256) and bias.shape == (256,)
    word = keccak256(SEED + (3).to_bytes(32, "big") + (7).to_bytes(32, "big") + (15).to_bytes(32, "big"))
    tail = [int.from_bytes(word[k : k + 2], "big", signed=True) for k in range(0, 32, 2)]
    assert [int(w) for w in matrix[7, 240:]] == tail


def test_known_answer_of_two_steps_equals_the_plain_int_reference():
    values = [((-1) ** k) * (k * 40_503 + 7) for k in range(256)]
    input = b"".join(v.to_bytes(4, "big", signed=True) for v in values)
    expected = [input]
    for index in range(2):
        expected.append(matvec_step(expected[-1], index, SEED, width=256))
    assert MATVEC_256.run(input, SEED, 2) == expected
    # The case is not degenerate: each output has zeros from relu and live positive values.
    for state in expected[1:]:
        out = np.frombuffer(state, dtype=">i4")
        assert (out == 0).any() and (out > 0).any()


def test_run_is_deterministic():
    input = keccak256(b"a") * 32
    assert MATVEC_256.state_hashes(input, SEED, 3) == MATVEC_256.state_hashes(input, SEED, 3)
    assert MATVEC_256.state_hashes(input, SEED, 3) != MATVEC_256.state_hashes(input, keccak256(b"b"), 3)


@pytest.mark.parametrize("width", [0, 24, 2**16 + 16])
def test_refuses_a_width_that_is_not_a_multiple_of_16_up_to_2_to_16(width):
    with pytest.raises(WorkloadError, match=f"matvec width {width} must be a multiple of 16 in 16..65536"):
        Matvec(name="matvec-odd", width=width)
