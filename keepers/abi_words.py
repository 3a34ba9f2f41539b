"""ABI values laid out in place, read word by word: many times faster than eth_abi's generic decoder.

A value whose type holds no string, bytes or array lies in place, one 32-byte word per
elementary value (a struct's fields in order). The event indexer reads logs this way and the
batched contract reads (keepers/contracts/reads.py) their return data (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address


def word_decoder(kind: str, convert: Callable[[Any], Any] = lambda value: value) -> Callable[[bytes], Any]:
    """One word to its value: the common one-word types read directly, the rest through eth_abi and
    `convert` (which the caller uses to checksum addresses or shape structs as eth_abi leaves them)."""
    if kind.startswith("uint"):
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("int"):
        return lambda word: int.from_bytes(word, "big", signed=True)
    if kind == "address":
        return lambda word: checksum("0x" + word[12:].hex())
    if kind == "bool":
        return lambda word: word[-1] == 1
    if kind.startswith("bytes") and kind != "bytes":
        size = int(kind[5:])
        return lambda word: word[:size]
    return lambda word: convert(abi_decode([kind], word)[0])


def in_place_reader(
    abi_input: dict, struct: Callable[[list[str], list[Any]], Any]
) -> tuple[int, Callable[[bytes, int], Any]] | None:
    """(words, read(data, offset)) for a value laid out in place; None for one that is not. A struct comes
    as `struct(field names, values)`."""
    kind = abi_input["type"]
    if kind == "tuple":
        parts = [in_place_reader(component, struct) for component in abi_input["components"]]
        if None in parts:
            return None
        names = [component["name"] for component in abi_input["components"]]

        def read_struct(data: bytes, offset: int) -> Any:
            values = []
            for words, read in parts:
                values.append(read(data, offset))
                offset += 32 * words
            return struct(names, values)

        return sum(words for words, _ in parts), read_struct
    if kind.endswith("]") or kind in ("string", "bytes"):
        return None
    decode = word_decoder(kind)
    return 1, lambda data, offset: decode(data[offset : offset + 32])


@lru_cache(maxsize=4096)
def checksum(address: str) -> str:
    return to_checksum_address(address)
