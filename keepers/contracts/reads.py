"""Reads: one view call with its revert named, a struct by field name, many calls in JSON-RPC batches."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_abi_to_4byte_selector
from eth_utils.abi import collapse_if_tuple
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import BlockIdentifier, RPCEndpoint

from keepers.abi_words import checksum, in_place_reader
from keepers.contracts.reverts import Refused, RevertDecoder
from keepers.errors import KeeperError

READ_BATCH = 100  # calls per JSON-RPC batch: public nodes refuse much larger ones


def call_view(fn: ContractFunction, *, block_identifier: BlockIdentifier = "latest") -> Any:
    """Calls a view; a revert becomes `Refused` naming the contract's custom error."""
    try:
        return fn.call(block_identifier=block_identifier)
    except ContractLogicError as error:
        label = f"{fn.fn_name}({', '.join(str(arg) for arg in fn.args)})"
        raise RevertDecoder(fn.contract_abi).refusal(label, error, default="reverted") from None


def struct_names(contract: Contract, function: str) -> list[str]:
    """The field names of the one struct `function` returns."""
    return [component["name"] for component in _function_abi(contract, function)["outputs"][0]["components"]]


def named(contract: Contract, function: str, value: tuple) -> dict[str, Any]:
    """A struct `function` returned, by field name."""
    return dict(zip(struct_names(contract, function), value))


def struct_call(contract: Contract, function: str, *args, block_identifier: BlockIdentifier = "latest") -> dict:
    """Calls a view returning one struct and names its fields from the ABI."""
    values = call_view(getattr(contract.functions, function)(*args), block_identifier=block_identifier)
    return named(contract, function, values)


def batch_calls(w3, contract: Contract, function: str, args: list[tuple], *, block_identifier: BlockIdentifier) -> list:
    """`function(*a)` for each `a` in `args` at one block: one value, or a tuple for a struct or several outputs.

    The calls go in JSON-RPC batches of READ_BATCH, encoded and decoded with types worked out
    once: a matcher tick reads every open request and offer, and one round trip per read,
    through web3's per-call ABI lookup, made its ticks take seconds (docs/performance.md).
    A call that reverts raises `Refused` with the contract's custom error.
    """
    if not args:
        return []
    abi = next(
        item
        for item in contract.abi
        if item.get("type") == "function" and item["name"] == function and len(item["inputs"]) == len(args[0])
    )
    selector = function_abi_to_4byte_selector(abi)
    input_types = [collapse_if_tuple(item) for item in abi["inputs"]]
    output_types = [collapse_if_tuple(item) for item in abi["outputs"]]
    convert = [_checksummed(item) for item in abi["outputs"]]
    # Outputs laid out in place (every struct the protocol's views return) are read word by word:
    # eth_abi's generic decoder was most of a matcher tick's time on 2,000 open requests.
    readers = [in_place_reader(item, _tuple_struct) for item in abi["outputs"]]
    in_place = None if None in readers else readers
    block = hex(block_identifier) if isinstance(block_identifier, int) else block_identifier
    results: list = []
    for start in range(0, len(args), READ_BATCH):
        chunk = args[start : start + READ_BATCH]
        calls = [{"to": contract.address, "data": "0x" + (selector + abi_encode(input_types, a)).hex()} for a in chunk]
        requests = [(RPCEndpoint("eth_call"), [call, block]) for call in calls]
        responses = w3.provider.make_batch_request(requests)
        if isinstance(responses, dict):  # the node refused the whole batch
            raise KeeperError(f"rpc error: {function} batch: {responses.get('error')}")
        for call_args, response in zip(chunk, responses):
            if "error" in response:
                raise _batch_error(contract, function, call_args, response["error"])
            data = bytes.fromhex(response["result"][2:])
            if in_place is not None and len(data) >= 32 * sum(words for words, _ in in_place):
                values, offset = [], 0
                for words, read in in_place:
                    values.append(read(data, offset))
                    offset += 32 * words
            else:
                values = [c(v) for c, v in zip(convert, abi_decode(output_types, data))]
            results.append(values[0] if len(values) == 1 else tuple(values))
    return results


def _batch_error(contract: Contract, function: str, args: tuple, error: dict) -> KeeperError:
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, str) and data.startswith("0x"):
        name, decoded = RevertDecoder(contract.abi).decode(HexBytes(data))
        return Refused(f"{function}({', '.join(str(arg) for arg in args)})", name, decoded)
    return KeeperError(f"rpc error: {function}: {error}")


def _function_abi(contract: Contract, function: str) -> dict:
    return next(item for item in contract.abi if item.get("type") == "function" and item["name"] == function)


def _tuple_struct(names: list[str], values: list) -> tuple:
    return tuple(values)


def _checksummed(output: dict):
    """Converts a decoded value as web3 would: addresses checksummed, structs as tuples."""
    if output["type"] == "address":
        return checksum
    if output["type"] == "tuple":
        fields = [_checksummed(component) for component in output["components"]]
        return lambda values: tuple(c(v) for c, v in zip(fields, values))
    return lambda value: value
