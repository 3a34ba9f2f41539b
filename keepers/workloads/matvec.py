"""Workload `matvec`: one fixed-point dense layer per step, relu(W_i s + b_i), in NumPy int64.

The state is `width` Q16.16 numbers, big-endian two's-complement int32. Weights and biases are
Q0.16 int16 read big-endian from keccak words of (seed, step index, row[, word]); row `width`
holds the biases. Bit for bit equal to MatvecStepVerifier.sol for width 16; the derivation and
the int64 overflow bounds are in docs/workloads.md.
"""

import numpy as np

from keepers.workloads.base import Workload, WorkloadError, keccak256

FRACTION_BITS = 16
INT32_MAX = 2**31 - 1
VALUES_PER_WORD = 16  # int16 values in one 32-byte keccak word


def _uint256(value: int) -> bytes:
    return value.to_bytes(32, "big")


class Matvec(Workload):
    """The matvec family; `width` values per state, a multiple of 16."""

    def __init__(self, name: str = "matvec", width: int = 16, *, onchain: bool = True) -> None:
        if width <= 0 or width % VALUES_PER_WORD:
            raise WorkloadError(f"matvec width {width} must be a positive multiple of {VALUES_PER_WORD}")
        self.name = name
        self.width = width
        self.state_length = 4 * width
        self.onchain = onchain

    def weights(self, seed: bytes, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(W_i, b_i) of step `index`: an int64 (width, width) matrix and an int64 (width,) vector.

        Row r (r = width for the biases) is the concatenation of keccak256(abi.encode(seed, index,
        r)) when one word holds a row, else of keccak256(abi.encode(seed, index, r, j)) for j in
        0..width/16-1; all arguments are static, so abi.encode is the plain 32-byte concatenation.
        """
        prefix = bytes(seed) + _uint256(index)
        words_per_row = self.width // VALUES_PER_WORD
        if words_per_row == 1:
            words = [keccak256(prefix + _uint256(row)) for row in range(self.width + 1)]
        else:
            words = [
                keccak256(prefix + _uint256(row) + _uint256(word))
                for row in range(self.width + 1)
                for word in range(words_per_row)
            ]
        table = np.frombuffer(b"".join(words), dtype=">i2").astype(np.int64).reshape(self.width + 1, self.width)
        return table[: self.width], table[self.width]

    def decode(self, state: bytes) -> np.ndarray:
        """The Q16.16 raw values of a state, as int64."""
        self._check_state(state)
        return np.frombuffer(state, dtype=">i4").astype(np.int64)

    def encode(self, values: np.ndarray) -> bytes:
        """The canonical bytes of int32-range raw values."""
        if values.shape != (self.width,) or values.min() < -(2**31) or values.max() > INT32_MAX:
            raise WorkloadError(f"{self.name}: values must be {self.width} int32")
        return values.astype(">i4").tobytes()

    def _step(self, state: bytes, index: int, seed: bytes) -> bytes:
        matrix, bias = self.weights(seed, index)
        values = np.frombuffer(state, dtype=">i4").astype(np.int64)
        # |acc| < 2^31 + width * 2^46, below 2^63 for width <= 2^16: exact in int64.
        acc = (bias << FRACTION_BITS) + matrix @ values
        return np.clip(acc >> FRACTION_BITS, 0, INT32_MAX).astype(">i4").tobytes()
