"""An ERC-20 token: the payment token (a stablecoin) or the stake token."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.types import BlockIdentifier

from keepers.contracts.base import ContractWrapper
from keepers.contracts.transact import Transact

# Where OpenZeppelin 5's ERC20 keeps `_allowances` (slot 1); other layouts are searched up to this slot.
ALLOWANCE_SLOTS = range(10)


class Token(ContractWrapper):
    def approve(self, spender: str, amount: int) -> Transact:
        return self._transact("approve", spender, amount)

    def mint(self, to: str, amount: int) -> Transact:
        """Only the test stablecoins (contracts/test/) have it: local chains fund accounts with it."""
        return self._transact("mint", to, amount)

    def balance_of(self, owner: str) -> int:
        return self._call("balanceOf", owner)

    def balances_of(self, owners: Iterable[str], *, block: BlockIdentifier = "latest") -> list[int]:
        """`balanceOf` of each owner, batched at one block."""
        return self._batch("balanceOf", owners, block=block)

    def allowance(self, owner: str, spender: str) -> int:
        return self._call("allowance", owner, spender)

    def decimals(self) -> int:
        return self._call("decimals")

    def symbol(self) -> str:
        return self._call("symbol")

    def allowance_override(self, owner: str, spender: str, amount: int) -> dict | None:
        """An `eth_call` state override under which `allowance(owner, spender)` reads `amount`, found by
        probing the token's storage layout; None for a token whose allowance slot is not found."""
        probe = {"from": owner, "to": self.address, "data": self.contract.encode_abi("allowance", [owner, spender])}
        for slot in ALLOWANCE_SLOTS:
            inner = Web3.keccak(HexBytes(owner).rjust(32, b"\0") + slot.to_bytes(32, "big"))
            key = Web3.keccak(HexBytes(spender).rjust(32, b"\0") + inner)
            override = {self.address: {"stateDiff": {key.to_0x_hex(): "0x" + amount.to_bytes(32, "big").hex()}}}
            with suppress(ContractLogicError, ValueError):
                if int.from_bytes(self.w3.eth.call(probe, "pending", override), "big") == amount:
                    return override
                continue
            return None
        return None
