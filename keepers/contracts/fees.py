"""What both markets share: protocol fees they hold for the treasury and payouts held as credits."""

from __future__ import annotations

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
