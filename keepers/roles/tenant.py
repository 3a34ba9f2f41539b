"""The tenant keeper: guards one tenant's rentals that commit to its manifest.

Every poll it finds the tenant's leases (from `RequestCreated`, `RequestReopened` and
`LeaseStarted` events) and, for each ACTIVE one whose on-chain commitment is the hash of
`role.manifest`:

- deploys the manifest to the lease's provider after the match, and after every re-match (a
  request that opted in is re-opened with the same commitment when its provider fails the lease,
  and matched again with another provider: docs/leases.md, "Re-match"), and again when the
  provider reports the workload failed, with the secrets named in `role.secrets_env` sealed to it;
- watches the workload: each HTTP endpoint is requested with the lease's credential, and after
  `failures_before_challenge` failed polls in a row it challenges the provider's liveness
  (the provider answers only while the workload serves);
- tops the lease up when its balance would run dry within `top_up_horizon_seconds`, enough
  for twice the horizon (never past the lease's end), spending at most `top_up_budget`.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

import requests
from pydantic import BaseModel, ConfigDict, Field

from keepers.client import LeaseholdClient, LeaseInfo
from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.manifest import ManifestError, load_manifest
from keepers.delivery.tenant import TenantDelivery
from keepers.errors import ConfigError
from keepers.indexer import IndexedEvent
from keepers.lifecycle import Keeper
from keepers.sender import send_or_skip

HOUR = 3_600


class TenantConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    manifest: Path  # the manifest the tenant's rental requests commit to
    secrets_env: dict[str, str] = Field(default_factory=dict)  # secret name -> variable holding its value
    probe_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    failures_before_challenge: int = Field(default=3, ge=1, le=100)
    challenge_dark_providers: bool = True
    top_up_horizon_seconds: int | None = Field(default=None, gt=0)  # None: never top up
    top_up_budget: int = Field(default=0, ge=0)  # payment token's smallest units, over the keeper's run


class TenantKeeper(Keeper):
    role = "tenant"
    RoleConfig = TenantConfig

    def setup(self) -> None:
        cfg = self.role_config
        try:
            self.manifest = load_manifest(cfg.manifest)
        except ManifestError as error:
            raise ConfigError(f"config error: role.manifest: {error}") from None
        missing = sorted(set(self.manifest.secrets) - set(cfg.secrets_env))
        if missing:
            raise ConfigError(f"config error: role.secrets_env: no variable named for secret {', '.join(missing)}")
        unset = sorted(variable for variable in cfg.secrets_env.values() if variable not in self.environ)
        if unset:
            raise ConfigError(f"config error: role.secrets_env: {', '.join(unset)} not set in the environment")
        self.secret_values = {name: self.environ[variable] for name, variable in cfg.secrets_env.items()}
        self.client = LeaseholdClient(self.w3, self.deployment, self.sender)
        self.delivery = TenantDelivery(self.client, self.account)
        self.http = requests.Session()
        self._lock = threading.Lock()
        self._requests: set[int] = set()  # this tenant's requests
        self._leases: set[int] = set()  # of those, leases not yet closed
        self._access: dict[int, dict] = {}  # lease -> the access its provider gave
        self._failures: dict[int, int] = {}
        self._commitment: dict[int, bytes] = {}
        self._reopened: dict[int, int] = {}  # re-opened request -> the failed lease it came from
        self.spent_on_top_ups = 0
        self.deployed = self.metrics.counter("workloads_deployed", "Manifests deployed to providers")
        self.reached = self.metrics.counter("workloads_reached", "Polls that reached a workload's endpoints")
        self.dark = self.metrics.counter("workloads_dark", "Polls that could not reach a workload")
        self.rematched = self.metrics.counter("rematched", "Leases that started from a re-opened request")
        self.challenges = self.metrics.counter("challenges", "Liveness challenges posted against dark providers")
        self.topped_up = self.metrics.counter("topped_up", "Payment token topped up, smallest units")
        self._events = self.indexer(
            [self.client.market],
            name=f"tenant-{self.account.address}",
            on_event=self._on_event,
            on_rollback=self._on_rollback,
            event_names=["RequestCreated", "RequestReopened", "LeaseStarted", "LeaseClosed"],
        )
        self.checkpoints.rollback(self._events.name, self._events.start_block - 1)  # rebuilt from the start
        self.add_job("tick", self.tick, self.config.chain.poll_interval_seconds)

    def _on_event(self, event: IndexedEvent) -> None:
        if event.name == "RequestCreated":
            if event.args["tenant"] == self.account.address:
                self._requests.add(event.args["requestId"])
        elif event.name == "RequestReopened":
            if event.args["tenant"] == self.account.address:
                self._requests.add(event.args["requestId"])
                self._reopened[event.args["requestId"]] = event.args["leaseId"]
                self.log.info(
                    "request re-opened after its provider failed the lease",
                    extra={
                        "event": "request_reopened",
                        "lease_id": event.args["leaseId"],
                        "request_id": event.args["requestId"],
                        "excluded_provider": event.args["excludedProvider"],
                    },
                )
        elif event.name == "LeaseStarted":
            lease_id = event.args["leaseId"]
            if lease_id in self._requests:
                self._leases.add(lease_id)
            if lease_id in self._reopened:
                self.rematched.inc()
                self.log.info(
                    "re-matched: deploying to the new provider",
                    extra={
                        "event": "rematched",
                        "lease_id": lease_id,
                        "failed_lease_id": self._reopened[lease_id],
                        "provider": event.args["provider"],
                    },
                )
        elif event.name == "LeaseClosed":
            self._leases.discard(event.args["leaseId"])
            self._access.pop(event.args["leaseId"], None)

    def _on_rollback(self, block_number: int) -> None:
        self._requests.clear()
        self._leases.clear()
        self._reopened.clear()
        self.checkpoints.rollback(self._events.name, self._events.start_block - 1)

    def tick(self) -> None:
        with self._lock:
            self._events.poll()
            ids = sorted(self._leases)
        if not ids:
            return
        now = self.client.now()
        for lease in self.client.leases(ids):
            if lease.status != "ACTIVE" or self._committed(lease.lease_id) != self.manifest.hash:
                continue
            if lease.lease_id not in self._access:
                self.deploy(lease.lease_id)
            elif not self.watch(lease):
                continue
            self.top_up(lease, now)

    def _committed(self, lease_id: int) -> bytes:
        if lease_id not in self._commitment:
            self._commitment[lease_id] = self.client.contracts.market.terms_hash_of(lease_id)
        return self._commitment[lease_id]

    def deploy(self, lease_id: int) -> None:
        try:
            self._access[lease_id] = self.delivery.deploy(lease_id, self.manifest, self.secret_values)
        except DeliveryRefused as refusal:
            self.log.warning(
                "deploy refused; retried next poll",
                extra={"event": "deploy_refused", "lease_id": lease_id, "error": str(refusal)},
            )
            return
        self.deployed.inc()
        self.log.info(
            "workload deployed",
            extra={
                "event": "workload_deployed",
                "lease_id": lease_id,
                "endpoints": self._access[lease_id]["endpoints"],
            },
        )

    def watch(self, lease: LeaseInfo) -> bool:
        """Whether the workload answered; challenges the provider after enough dark polls in a row."""
        access = self._access[lease.lease_id]
        if self._reachable(access):
            self._failures.pop(lease.lease_id, None)
            self.reached.inc()
            return True
        self.dark.inc()
        try:
            if self.delivery.access(lease.lease_id)["status"] == "failed":
                self._access.pop(lease.lease_id, None)  # the provider gave up restarting: deploy again
                return False
        except DeliveryRefused:
            pass  # the agent itself is dark
        failures = self._failures.get(lease.lease_id, 0) + 1
        self._failures[lease.lease_id] = failures
        if (
            self.role_config.challenge_dark_providers
            and failures >= self.role_config.failures_before_challenge
            and not lease.challenge_open
        ):
            sent = send_or_skip(
                self.log,
                "challenge_liveness",
                partial(self.client.challenge_liveness, lease.lease_id),
                metrics=self.metrics,
                lease_id=lease.lease_id,
            )
            if sent is not None:
                self.challenges.inc()
                self._failures.pop(lease.lease_id, None)
        return False

    def _reachable(self, access: dict) -> bool:
        headers = {"Authorization": f"Bearer {access['credential']}"}
        urls = [url for url in access["endpoints"].values() if url.startswith("http")]
        try:
            return all(
                self.http.get(url, headers=headers, timeout=self.role_config.probe_timeout_seconds).status_code < 500
                for url in urls
            )
        except requests.RequestException:
            return False

    def top_up(self, lease: LeaseInfo, now: int) -> None:
        horizon = self.role_config.top_up_horizon_seconds
        if horizon is None:
            return
        rate = lease.price_per_unit_hour * lease.units  # per hour
        remaining = lease.balance - lease.accrued
        if remaining * HOUR >= rate * min(horizon, max(0, lease.end_time - now)):
            return
        until = min(now + 2 * horizon, lease.end_time)
        amount = -(-rate * (until - now) // HOUR) - remaining
        amount = min(amount, self.role_config.top_up_budget - self.spent_on_top_ups)
        if amount <= 0:
            return
        sent = send_or_skip(
            self.log,
            "top_up",
            partial(self.client.top_up, lease.lease_id, amount),
            metrics=self.metrics,
            lease_id=lease.lease_id,
        )
        if sent is not None:
            self.spent_on_top_ups += amount
            self.topped_up.inc(amount)
            self.log.info("lease topped up", extra={"event": "topped_up", "lease_id": lease.lease_id, "amount": amount})
