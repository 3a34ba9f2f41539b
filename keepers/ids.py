"""Short text ids (region, GPU model, workload) as the contracts' `bytes32`, and back.

One encoding for every tool: ASCII, left-aligned and right-padded with zero bytes,
as Solidity's `bytes32("nvidia-h100-80gb")`.
"""

from __future__ import annotations

from keepers.errors import KeeperError

ZERO_BYTES32 = b"\0" * 32


class IdError(KeeperError, ValueError):
    """A text id that does not fit a bytes32."""


def to_bytes32(text: str) -> bytes:
    """`text` as bytes32: 1 to 32 ASCII characters, right-padded with zeros."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise IdError(f"id error: {text!r} is not ASCII") from None
    if not raw or len(raw) > 32:
        raise IdError(f"id error: {text!r} must be 1 to 32 ASCII characters, not {len(raw)}")
    if b"\0" in raw:
        raise IdError(f"id error: {text!r} contains a zero byte")
    return raw.ljust(32, b"\0")


def from_bytes32(value: bytes) -> str:
    """The text of a bytes32 id; the empty string for zero (which means "any" in a request)."""
    raw = bytes(value).rstrip(b"\0")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + bytes(value).hex()
