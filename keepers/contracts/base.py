"""What every typed wrapper shares: its web3 contract, deferred writes, reads and receipts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import BlockIdentifier, TxReceipt

from keepers.contracts.reads import batch_calls, call_view, struct_call, struct_names
from keepers.contracts.transact import Transact


class ContractWrapper:
    """One deployed contract. Writes return a `Transact`; reads call the node now.

    `contract` is the web3 contract, for what is not a call: the indexer's event scans and
    the decoding of receipts.
    """

    def __init__(self, w3: Web3, contract: Contract) -> None:
        self.w3 = w3
        self.contract = contract

    @property
    def address(self) -> str:
        return self.contract.address

    @property
    def abi(self) -> list[dict[str, Any]]:
        return self.contract.abi

    # ---------------------------------------------------------------- what the subclasses build on

    def _transact(self, function: str, *args, value: int = 0) -> Transact:
        return Transact(getattr(self.contract.functions, function)(*args), value)

    def _call(self, function: str, *args, block: BlockIdentifier = "latest") -> Any:
        return call_view(getattr(self.contract.functions, function)(*args), block_identifier=block)

    def _struct(self, function: str, *args, block: BlockIdentifier = "latest") -> dict[str, Any]:
        return struct_call(self.contract, function, *args, block_identifier=block)

    def _batch(self, function: str, keys: Iterable, *, block: BlockIdentifier = "latest") -> list[Any]:
        """`function(key)` for every key, in JSON-RPC batches at one block."""
        return batch_calls(self.w3, self.contract, function, [(key,) for key in keys], block_identifier=block)

    def _structs(self, function: str, keys: Iterable, *, block: BlockIdentifier = "latest") -> list[dict[str, Any]]:
        names = struct_names(self.contract, function)
        return [dict(zip(names, value)) for value in self._batch(function, keys, block=block)]

    # ---------------------------------------------------------------- receipts

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """The arguments of every `name` event this contract emitted in the transaction."""
        event = getattr(self.contract.events, name)()
        return [
            dict(decoded["args"])
            for log in receipt["logs"]
            if log["address"] == self.contract.address
            for decoded in _decoded(event, log)
        ]


def _decoded(event, log) -> list:
    try:
        return [event.process_log(log)]
    except Exception:  # a log of another event of the same contract
        return []
