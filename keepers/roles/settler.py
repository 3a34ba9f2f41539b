"""The settler: closes leases that ran out, resolves liveness challenges nobody answered.

Both pay the caller a bounty reserved from the tenant's deposit at match time
(docs/leases.md). Another settler may get there first: the sender's simulation
then refuses the call and nothing is sent.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from keepers.lifecycle import Keeper
from keepers.market_view import MarketView
from keepers.sender import Refused

LEASE_EXPIRED = 2  # Market.LeaseStatus.EXPIRED
LEASE_INSOLVENT = 3  # Market.LeaseStatus.INSOLVENT


class SettlerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_settlements_per_tick: int = Field(default=200, ge=1)


class SettlerKeeper(Keeper):
    role = "settler"
    RoleConfig = SettlerConfig

    def setup(self) -> None:
        self.view = MarketView(self, name="settler-view")
        self.settlements = self.metrics.counter("settlements", "Leases closed or challenges resolved", ("action",))
        self.add_job("settle", self.tick, self.config.chain.poll_interval_seconds)

    def tick(self) -> None:
        self.view.refresh()
        now = self.w3.eth.get_block("latest")["timestamp"]
        market = self.view.market
        budget = self.role_config.max_settlements_per_tick
        for lease_id, facts in sorted(self.view.state.leases.items()):
            if budget == 0:
                break
            if facts.challenge_deadline is not None:
                if now > facts.challenge_deadline:
                    budget -= self._settle(market.functions.resolveLiveness(lease_id), "resolveLiveness", lease_id)
                continue
            status = market.functions.statusOf(lease_id).call()
            if status in (LEASE_EXPIRED, LEASE_INSOLVENT):
                budget -= self._settle(market.functions.closeLease(lease_id), "closeLease", lease_id)

    def _settle(self, call, action: str, lease_id: int) -> int:
        try:
            result = self.sender.send(call, label=action)
        except Refused as refusal:
            self.log.info(
                "settlement not needed", extra={"event": "settle_refused", "action": action, "lease_id": lease_id,
                                                "error": refusal.error_name},
            )
            return 0
        self.settlements.labels(action).inc()
        self.log.info(
            "settled", extra={"event": "settled", "action": action, "lease_id": lease_id, "tx_hash": result.tx_hash},
        )
        return 1
