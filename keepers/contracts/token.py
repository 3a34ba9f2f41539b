"""An ERC-20 token: the payment token (a stablecoin) or the stake token."""

from __future__ import annotations

from keepers.contracts.base import ContractWrapper
from keepers.contracts.transact import Transact


class Token(ContractWrapper):
    def approve(self, spender: str, amount: int) -> Transact:
        return self._transact("approve", spender, amount)

    def balance_of(self, owner: str) -> int:
        return self._call("balanceOf", owner)

    def allowance(self, owner: str, spender: str) -> int:
        return self._call("allowance", owner, spender)

    def decimals(self) -> int:
        return self._call("decimals")

    def symbol(self) -> str:
        return self._call("symbol")
