"""Revert data as the contract's custom error: the one decoder for simulations and reads alike."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from eth_utils.abi import abi_to_signature, get_abi_input_types
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from keepers.errors import KeeperError, show_value, standard_error_abi

_ERROR_STRING = ("Error", ("string",))
_PANIC = ("Panic", ("uint256",))


class Refused(KeeperError):
    """The call reverts, so nothing was sent. `error_name` is the decoded custom error."""

    def __init__(self, label: str, error_name: str, error_args: tuple = (), shown_args: tuple | None = None) -> None:
        self.label = label
        self.error_name = error_name
        self.error_args = error_args
        # `shown_args`: the arguments for people (enums by name, ids as text), from `RevertDecoder.describe`.
        shown = shown_args if shown_args is not None else tuple(str(arg) for arg in error_args)
        args = f"({', '.join(shown)})" if error_args else ""
        super().__init__(f"{label}: refused, the call would revert with {error_name}{args}")


class RevertDecoder:
    """Names the revert data of a call from the contract ABI's errors, OpenZeppelin's standard errors
    (a token's revert inside a market call), `Error(string)` and `Panic`."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, tuple[str, ...]]] = {
            function_signature_to_4byte_selector("Error(string)"): _ERROR_STRING,
            function_signature_to_4byte_selector("Panic(uint256)"): _PANIC,
        }
        self._internal_types: dict[str, tuple[str, ...]] = {}
        for element in [*standard_error_abi(), *abi]:
            if element.get("type") == "error":
                selector = function_signature_to_4byte_selector(abi_to_signature(element))
                self._errors[selector] = (element["name"], tuple(get_abi_input_types(element)))
                self._internal_types[element["name"]] = tuple(
                    item.get("internalType", item["type"]) for item in element["inputs"]
                )

    def describe(self, name: str, args: tuple) -> tuple[str, ...]:
        """`args` of error `name` for people: enums by name, bytes32 ids as text, roles by name."""
        internal = self._internal_types.get(name, ())
        return tuple(show_value(arg, internal[i] if i < len(internal) else None) for i, arg in enumerate(args))

    def decode(self, data: bytes) -> tuple[str, tuple]:
        if len(data) < 4:
            return "empty revert", ()
        known = self._errors.get(bytes(data[:4]))
        if known is None:
            return f"unknown error 0x{bytes(data[:4]).hex()}", ()
        name, types = known
        try:
            values = abi_decode(types, bytes(data[4:]))
        except Exception:  # malformed arguments still leave a useful error name
            return name, ()
        return name, tuple(
            to_checksum_address(value) if kind == "address" else value for kind, value in zip(types, values)
        )

    def refusal(self, label: str, error: ContractLogicError, *, default: str = "execution reverted") -> Refused:
        """`Refused` naming the custom error in `error`'s revert data, or the node's message without data."""
        data = error.data if isinstance(error.data, str) and error.data.startswith("0x") else None
        name, args = self.decode(HexBytes(data)) if data else (error.message or default, ())
        return Refused(label, name, args, self.describe(name, args))
