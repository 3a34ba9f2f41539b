"""The prober: checks each leasing provider's advertised endpoint; challenges one that is dark.

A provider's metadataURI is the base URL of its agent; the prober GETs
`<metadataURI>/health`. After `failures_before_challenge` failed probes in a
row it posts a liveness challenge (with the bond) on each of that provider's
open leases. The provider then has the liveness window to answer on-chain;
the chain, not the prober, decides the outcome. Challenges inside the minimum
spacing, or on a lease already challenged, are refused by simulation and cost
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import requests
from pydantic import BaseModel, ConfigDict, Field

from keepers.contracts.types import MAX_ALLOWANCE
from keepers.lifecycle import Keeper
from keepers.market_view import MarketView
from keepers.sender import send_or_skip


class ProberConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    probe_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    failures_before_challenge: int = Field(default=2, ge=1, le=100)


class ProberKeeper(Keeper):
    role = "prober"
    RoleConfig = ProberConfig

    def setup(self) -> None:
        self.view = MarketView(self, name="prober-view")
        self.http = requests.Session()
        self.failures: dict[str, int] = defaultdict(int)
        self.probes = self.metrics.counter("probes", "Health probes of providers", ("result",))
        self.challenges = self.metrics.counter("challenges", "Liveness challenges posted")
        self.add_job("probe", self.tick, self.config.chain.poll_interval_seconds)

    def tick(self) -> None:
        self.view.refresh()
        for provider, lease_ids in sorted(self.view.state.leases_by_provider().items()):
            if self.probe(provider):
                self.failures.pop(provider, None)
                continue
            self.failures[provider] += 1
            if self.failures[provider] >= self.role_config.failures_before_challenge:
                now = self.w3.eth.get_block("latest")["timestamp"]
                spacing = self.view.config.params()["livenessSpacingSeconds"]
                for lease_id in sorted(lease_ids):
                    if self.view.state.leases[lease_id].challenge_deadline is None and self._spaced(
                        lease_id, now, spacing
                    ):
                        self.challenge(lease_id, provider)

    def _spaced(self, lease_id: int, now: int, spacing: int) -> bool:
        """Whether the minimum spacing since the lease's start or last challenge has passed.

        Read only for a dark provider's leases; it spares a refused simulation every tick.
        """
        lease = self.view.market.order(lease_id)
        return now >= max(lease["startTime"], lease["challengedAt"]) + spacing

    def probe(self, provider: str) -> bool:
        endpoint = self.view.registry.metadata_uri(provider).rstrip("/")
        try:
            answer = self.http.get(f"{endpoint}/health", timeout=self.role_config.probe_timeout_seconds)
            alive = answer.status_code == 200
        except requests.RequestException:
            alive = False
        self.probes.labels("up" if alive else "down").inc()
        if not alive:
            self.log.warning(
                "provider endpoint dark", extra={"event": "probe_failed", "provider": provider, "endpoint": endpoint}
            )
        return alive

    def challenge(self, lease_id: int, provider: str) -> None:
        self._ensure_bond_allowance()
        transact = self.view.market.challenge_liveness(lease_id)
        sent = send_or_skip(
            self.log,
            transact.label,
            partial(self.sender.send, transact),
            metrics=self.metrics,
            lease_id=lease_id,
            provider=provider,
        )
        if sent is not None:
            self.challenges.inc()

    def _ensure_bond_allowance(self) -> None:
        token, market = self.contracts.payment_token, self.view.market
        bond = self.view.config.params()["livenessBond"]
        if token.allowance(self.account.address, market.address) < bond:
            self.sender.send(token.approve(market.address, MAX_ALLOWANCE))
