"""What both markets share: protocol fees they hold for the treasury and payouts held as credits."""

from __future__ import annotations

from collections.abc import Iterable

from web3.types import BlockIdentifier

from keepers.contracts.base import ContractWrapper
from keepers.contracts.transact import Transact


class MoneyMarket(ContractWrapper):
    """A market that holds payments (IProtocolFees, IPayoutCredits)."""

    def sweep_fees(self) -> Transact:
        return self._transact("sweepFees")

    def claim_credit(self) -> Transact:
        return self._transact("claimCredit")

    def accrued_fees(self) -> int:
        return self._call("accruedFees")

    def credit_of(self, owner: str) -> int:
        return self._call("creditOf", owner)

    def credits_of(self, owners: Iterable[str], *, block: BlockIdentifier = "latest") -> list[int]:
        """`creditOf` of each owner, batched at one block."""
        return self._batch("creditOf", owners, block=block)
