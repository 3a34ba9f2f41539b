"""An independent reference for the matvec family, written from docs/workloads.md with plain
Python ints, eth_abi encoding and eth_hash's default keccak backend: it shares no code with
keepers/workloads, so agreement with it checks the NumPy executor rather than restating it."""

from eth_abi import encode
from eth_hash.auto import keccak

INT32_MAX = 2**31 - 1


def int16_words(words: list[bytes]) -> list[int]:
    raw = b"".join(words)
    return [int.from_bytes(raw[k : k + 2], "big", signed=True) for k in range(0, len(raw), 2)]


def row_values(seed: bytes, index: int, row: int, width: int) -> list[int]:
    if width == 16:
        return int16_words([keccak(encode(["bytes32", "uint256", "uint256"], [seed, index, row]))])
    return int16_words(
        [
            keccak(encode(["bytes32", "uint256", "uint256", "uint256"], [seed, index, row, word]))
            for word in range(width // 16)
        ]
    )


def matvec_step(state: bytes, index: int, seed: bytes, width: int) -> bytes:
    values = [int.from_bytes(state[4 * c : 4 * c + 4], "big", signed=True) for c in range(width)]
    biases = row_values(seed, index, width, width)
    out = []
    for row in range(width):
        weights = row_values(seed, index, row, width)
        acc = biases[row] * 65536 + sum(w * v for w, v in zip(weights, values))
        out.append(min(max(acc // 65536, 0), INT32_MAX))
    return b"".join(v.to_bytes(4, "big", signed=True) for v in out)
