"""The provider agent: runs one provider account from its configuration.

On start it brings the chain to the configured state, sending only what differs:
registers (or updates region and endpoint), tops the stake up to the target, and
makes each configured offer exist with the configured terms. Then it answers the
liveness challenges of its leases every poll, each with the capacity proof for the
challenge's seed computed here, on the machine that holds the leased units
(keepers/liveness.py), and withdraws earnings on a schedule. The endpoint it
advertises is its own health server, so an agent that dies goes dark to the prober.

It is also the solver of the jobs matched to it: it runs each job's workload from
the published terms and input and submits the output hash, the trace root and the
proof of the output; in a dispute it reveals the midpoints from its trace and
proves the last step. `fault_from_step` makes it cheat (the workloads' fault mode),
for demos and tests.

With `[role.delivery]` it also delivers rentals (docs/delivery.md): its access server
takes the tenants' signed manifests and launches them on the configured runtime, the
endpoint it advertises becomes that server, each poll tears down the workloads of ended
leases and probes the others, and a liveness challenge is answered only while the
lease's workload serves. Offers are checked against the machine's GPUs first.
"""

from __future__ import annotations

import threading
from functools import partial

from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from keepers.client import LeaseholdClient, OfferInfo
from keepers.contracts.types import MAX_METADATA_URI_LENGTH, ZERO_ADDRESS
from keepers.delivery.access import AccessServer
from keepers.delivery.config import DeliveryConfig
from keepers.delivery.gpu import load_inventory
from keepers.delivery.manager import DeliveryManager
from keepers.delivery.sealing import load_or_create_key, public_key_text
from keepers.errors import ConfigError, KeeperError
from keepers.ids import IdError, to_bytes32
from keepers.indexer import IndexedEvent
from keepers.jobs import JobBook, JobFacts, PublishedTerms, TraceCache, Unexecutable, attempt, check_workloads
from keepers.lifecycle import Keeper
from keepers.sender import send_or_skip

_WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _check_id(value: str) -> str:
    try:
        to_bytes32(value)
    except IdError as error:
        raise ValueError(str(error).removeprefix("id error: ")) from None
    return value


class OfferConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gpu_model: str
    units: int = Field(gt=0)
    price_per_unit_hour: int = Field(gt=0)  # payment token's smallest units per unit per hour
    max_duration_seconds: int = Field(gt=0)
    # The jobs the offer takes (docs/verification.md, job policy): a job is matched to it only when
    # its result timeout is at least the setup time plus its steps at this throughput. 0: no jobs.
    job_steps_per_second: int = Field(default=0, ge=0, lt=2**32)
    job_min_result_timeout_seconds: int = Field(default=0, ge=0, le=30 * 86_400)

    _gpu_model_fits = field_validator("gpu_model")(_check_id)


class ProviderConfig(BaseModel):
    """The `[role]` table of the provider agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    endpoint: str | None = None  # advertised base URL; default: this keeper's own health server
    stake: int = Field(default=0, ge=0)  # target free + locked stake, stake token's smallest units
    offers: list[OfferConfig] = Field(default_factory=list)
    withdraw_interval_seconds: float = Field(default=3600.0, gt=0)
    min_withdraw: int = Field(default=1, ge=1)  # payment token's smallest units
    # Cheat from this step on (capped at a job's N): the trace corrupts every state from it.
    fault_from_step: int | None = Field(default=None, ge=1)
    fault_workloads: list[str] | None = None  # names of the workloads to cheat on; None: all
    delivery: DeliveryConfig | None = None  # run tenants' workloads (docs/delivery.md); None: a payment stream only

    _region_fits = field_validator("region")(_check_id)
    _known_workloads = field_validator("fault_workloads")(check_workloads)

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_http(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must be an http:// or https:// URL")
        if len(value.encode()) > MAX_METADATA_URI_LENGTH:
            raise ValueError(f"longer than {MAX_METADATA_URI_LENGTH} bytes")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_offer_per_model(self) -> ProviderConfig:
        models = [offer.gpu_model for offer in self.offers]
        duplicates = sorted({model for model in models if models.count(model) > 1})
        if duplicates:
            raise ValueError(f"offers: one entry per gpu_model; repeated: {', '.join(duplicates)}")
        return self


class ProviderAgent(Keeper):
    role = "provider"
    RoleConfig = ProviderConfig

    def setup(self) -> None:
        self.client = LeaseholdClient(self.w3, self.deployment, self.sender)
        self.challenges_answered = self.metrics.counter("challenges_answered", "Liveness challenges answered")
        self.earnings_withdrawn = self.metrics.counter(
            "earnings_withdrawn", "Earnings withdrawn after the protocol fee, in the payment token's smallest units"
        )
        self.leases_active = Gauge(
            "leases_active", "This provider's leases not yet closed", registry=self.metrics.registry
        )
        # The provider's standing, for dashboards and the slash alert (ops/prometheus-alerts.yml).
        self.standing = {
            name: Gauge(f"provider_{name}", text, registry=self.metrics.registry)
            for name, text in (
                ("slash_count", "Times this provider was slashed"),
                ("free_stake", "Free stake, in the stake token's smallest units"),
                ("reputation", "Reputation score, 0..10000"),
            )
        }
        self._lock = threading.Lock()
        self._leases: set[int] = set()  # this provider's leases not yet settled
        self._challenged: set[int] = set()  # of those, with a challenge seen and not yet answered
        # One scan serves the leases and the jobs (fed to the job book).
        self.jobs = JobBook(self)
        self._events = self.indexer(
            [self.client.market, self.jobs.job_market.contract],
            name=f"provider-{self.account.address}",
            on_event=self._on_event,
            on_rollback=self._on_rollback,
            event_names=["LeaseStarted", "LivenessChallenged", "LeaseClosed", *JobBook.EVENTS],
        )
        # The lease set and the job book live in memory: every start rebuilds them from the deployment block.
        self.checkpoints.rollback(self._events.name, self._events.start_block - 1)
        self.traces = TraceCache()
        self.unexecutable = Unexecutable(self.log)
        self.results_submitted = self.metrics.counter("results_submitted", "Job results submitted")
        self.dispute_moves = self.metrics.counter("dispute_moves", "Moves in disputes as the solver", ("action",))
        self.delivery: DeliveryManager | None = None
        self.access: AccessServer | None = None
        self._unanswered_logged: set[int] = set()
        if self.role_config.delivery is not None:
            self._start_delivery(self.role_config.delivery)
        self.setup_sent = self.apply_setup()
        interval = self.config.chain.poll_interval_seconds
        self.add_job("tick", self.tick, interval)
        self.add_job("withdraw", self.withdraw_earnings, self.role_config.withdraw_interval_seconds)
        self.add_job("standing", self.observe_standing, max(60.0, interval))

    def observe_standing(self) -> None:
        info = self.client.provider_info(self.account.address)
        for name, value in (
            ("slash_count", info.slash_count),
            ("free_stake", info.free_stake),
            ("reputation", info.reputation),
        ):
            self.standing[name].set(value)

    def _start_delivery(self, cfg: DeliveryConfig) -> None:
        """Checks the offers against the GPUs, reconciles the workloads with the chain, serves tenants."""
        if self.role_config.endpoint is None and cfg.host in _WILDCARD_HOSTS:
            raise ConfigError(
                f"config error: role.endpoint: required when role.delivery.host is {cfg.host} "
                "(the address tenants reach this agent at)"
            )
        state_dir = self.config.transactions.state_dir
        models = [offer.gpu_model for offer in self.role_config.offers]
        inventory = load_inventory(cfg.gpu_inventory, models, cfg.gpu_models)
        for offer in self.role_config.offers:
            inventory.check_offer(offer.gpu_model, offer.units)
        key = load_or_create_key(cfg.key_file or state_dir / "delivery.key")
        self.delivery = DeliveryManager(
            client=self.client,
            provider=self.account.address,
            config=cfg,
            work_dir=cfg.work_dir or state_dir / "workloads",
            key=key,
            inventory=inventory,
            log=self.log,
            metrics=self.metrics,
        )
        self.delivery.reconcile()
        self.access = AccessServer(
            self.delivery,
            cfg.host,
            cfg.port,
            public_key=public_key_text(key),
            health=self._health,
            log=self.log,
        ).start()

    def _health(self) -> tuple[int, dict]:
        if self.health is None:
            return 503, {"status": "starting"}
        return self.health.health()

    def stop(self) -> None:
        """Stops the keeper, then the access server; workloads run on for the next start to adopt."""
        super().stop()
        if self.access is not None:
            self.access.stop()
            self.access = None

    @property
    def endpoint(self) -> str:
        if self.role_config.endpoint is not None:
            return self.role_config.endpoint
        if self.access is not None:
            return self.access.url  # its host is an address others reach (checked before it started)
        if self.config.metrics.host in _WILDCARD_HOSTS:
            raise ConfigError(
                f"config error: role.endpoint: required when metrics.host is {self.config.metrics.host} "
                "(the address others reach this keeper at)"
            )
        return self.health.url

    # ---------------------------------------------------------------- set-up

    def check_setup(self) -> None:
        """Refuses, before anything is sent, a configuration the chain would refuse part-way: a GPU model
        the catalogue does not list, offer terms out of the registry's bounds, a stake the account cannot
        pay, a paused protocol. Without it an agent could move the provider's endpoint, then fail."""
        cfg, me = self.role_config, self.account.address
        contracts = self.client.contracts
        if contracts.config.paused():
            raise KeeperError("protocol error: the protocol is paused; the provider agent sends nothing while it is")
        registry = contracts.registry
        max_units, max_duration = registry.max_offer_units(), registry.max_offer_duration_seconds()
        min_duration = self.client.params()["minLeaseSeconds"]
        for index, offer in enumerate(cfg.offers):
            key = f"config error: role.offers[{index}]"
            if not self.client.gpu_model(offer.gpu_model).listed:
                listed = ", ".join(m.gpu_model for m in self.client.catalogue() if m.listed) or "none"
                raise ConfigError(
                    f"{key}.gpu_model: {offer.gpu_model!r} is not in the GPU catalogue (listed: {listed})"
                )
            if offer.units > max_units:
                raise ConfigError(f"{key}.units: {offer.units} is above the registry's maximum of {max_units}")
            if not min_duration <= offer.max_duration_seconds <= max_duration:
                raise ConfigError(
                    f"{key}.max_duration_seconds: {offer.max_duration_seconds} is outside "
                    f"{min_duration}..{max_duration} (the shortest lease .. one year)"
                )
        short = cfg.stake - self.client.provider_info(me).active_stake
        balance = self.client.balance_of(self.client.stake_token) if short > 0 else 0
        if short > 0 and balance < short:
            raise KeeperError(
                f"stake error: role.stake needs {short} more stake token units but account {me} holds {balance}; "
                "fund it or lower role.stake"
            )

    def apply_setup(self) -> list[str]:
        """Sends what the chain lacks of the configured state; returns the labels sent (none when in sync).
        Everything is checked first (`check_setup`): a refusal leaves the chain as it was."""
        self.check_setup()
        sent: list[str] = []
        cfg, me = self.role_config, self.account.address
        info = self.client.provider_info(me)
        if not info.registered:
            self.client.register_provider(cfg.region, self.endpoint)
            sent.append("register_provider")
        elif (info.region, info.metadata_uri) != (cfg.region, self.endpoint):
            self.client.update_provider(cfg.region, self.endpoint)
            sent.append("update_provider")

        short = cfg.stake - self.client.provider_info(me).active_stake
        if short > 0:
            allowance = self.client.contracts.stake_token.allowance(me, self.client.registry.address)
            self.client.stake(short)  # approves only once the stake simulates with the allowance in place
            sent.extend(["stake"] if allowance >= short else ["approve", "stake"])

        live = self.client.offers_of(me)
        for wanted in cfg.offers:
            sent.extend(self._apply_offer(wanted, [o for o in live if o.gpu_model == wanted.gpu_model]))
        self.log.info("provider set up", extra={"event": "provider_setup", "sent": sent, "endpoint": self.endpoint})
        return sent

    def _apply_offer(self, wanted: OfferConfig, existing: list[OfferInfo]) -> list[str]:
        terms = (wanted.units, wanted.price_per_unit_hour, wanted.max_duration_seconds)
        policy = (wanted.job_steps_per_second, wanted.job_min_result_timeout_seconds)
        if not existing:
            offer_id = self.client.offer_id_of(self.client.add_offer(wanted.gpu_model, *terms))
            if policy == (0, 0):
                return ["add_offer"]
            self.client.set_offer_job_policy(offer_id, *policy)
            return ["add_offer", "set_offer_job_policy"]
        # The oldest offer of the model is the configured one; any others were made by hand and stay.
        offer = existing[0]
        sent = []
        if (offer.units, offer.price_per_unit_hour, offer.max_duration_seconds) != terms:
            self.client.update_offer(offer.offer_id, *terms)
            sent.append("update_offer")
        if (offer.job_steps_per_second, offer.job_min_result_timeout_seconds) != policy:
            self.client.set_offer_job_policy(offer.offer_id, *policy)
            sent.append("set_offer_job_policy")
        if offer.paused:
            self.client.pause_offer(offer.offer_id, False)
            sent.append("pause_offer")
        return sent

    # ---------------------------------------------------------------- events

    def _sync(self) -> None:
        with self._lock:
            self._events.poll()
            # From the event set, without a read per lease: the liveness tick must stay cheap.
            self.leases_active.set(len(self._leases))

    def tick(self) -> None:
        """Teardown and health of the workloads, one scan of the events, the liveness answers, the jobs."""
        if self.delivery is not None:
            try:
                self.delivery.tick()
            except Exception:  # a failed teardown or probe must not keep liveness answers from going out
                self.metrics.job_failures.labels("delivery").inc()
                self.log.exception("delivery tick failed", extra={"event": "delivery_tick_failed"})
        self.answer_challenges()  # syncs first
        self.work_jobs()

    def _on_event(self, event: IndexedEvent) -> None:
        if event.address == self.jobs.job_market.address:
            self.jobs.apply(event)
            return
        lease_id = event.args["leaseId"]
        if event.name == "LeaseStarted" and event.args["provider"] == self.account.address:
            self._leases.add(lease_id)
        elif event.name == "LivenessChallenged" and lease_id in self._leases:
            self._challenged.add(lease_id)
        elif event.name == "LeaseClosed":
            self._leases.discard(lease_id)
            self._challenged.discard(lease_id)

    def _on_rollback(self, block_number: int) -> None:
        # Facts above the fork may be gone: rebuild from the start (the lease set is small).
        self._leases.clear()
        self._challenged.clear()
        self.jobs.rollback(-1)
        self.checkpoints.rollback(self._events.name, self._events.start_block - 1)

    # ---------------------------------------------------------------- jobs

    def answer_challenges(self) -> None:
        self._sync()
        with self._lock:
            challenged = sorted(self._challenged)
        for lease_id in challenged:
            if self.delivery is not None and not self.delivery.may_answer(lease_id):
                if lease_id not in self._unanswered_logged:  # retried every poll while the window is open
                    self._unanswered_logged.add(lease_id)
                    self.log.warning(
                        "liveness challenge not answered: the lease's workload is not serving",
                        extra={"event": "liveness_unanswered", "lease_id": lease_id},
                    )
                continue
            lease = self.client.lease(lease_id)
            if lease.challenger == ZERO_ADDRESS:
                with self._lock:
                    self._challenged.discard(lease_id)  # answered already (by an earlier run or another agent)
                continue
            answered = send_or_skip(
                self.log,
                "respond_liveness",
                partial(self.client.respond_liveness, lease_id, lease.units),
                metrics=self.metrics,
                lease_id=lease_id,
            )
            if answered is not None:
                self.challenges_answered.inc()
                self.log.info("liveness challenge answered", extra={"event": "liveness_answered", "lease_id": lease_id})
            with self._lock:
                self._challenged.discard(lease_id)

    def withdraw_earnings(self) -> None:
        self._sync()
        with self._lock:
            leases = sorted(self._leases)
        for lease in self.client.leases(leases):
            if lease.withdrawable < self.role_config.min_withdraw:
                continue
            result = send_or_skip(
                self.log,
                "withdraw_earnings",
                partial(self.client.withdraw_earnings, lease.lease_id),
                metrics=self.metrics,
                lease_id=lease.lease_id,
            )
            if result is None:
                continue
            (withdrawn,) = self.client.events(result, self.client.market, "EarningsWithdrawn")
            self.earnings_withdrawn.inc(withdrawn["amount"])
            self.log.info(
                "earnings withdrawn",
                extra={"event": "earnings_withdrawn", "lease_id": lease.lease_id, "amount": withdrawn["amount"]},
            )

    # ---------------------------------------------------------------- jobs as the solver

    def fault_for(self, published: PublishedTerms) -> int | None:
        """The step this agent's trace of the job is corrupted from, or None for an honest trace."""
        cfg = self.role_config
        if cfg.fault_from_step is None:
            return None
        if cfg.fault_workloads is not None and published.terms.workload_name not in cfg.fault_workloads:
            return None
        return cfg.fault_from_step

    def work_jobs(self) -> None:
        """Submits the results of its matched jobs and makes its moves in their disputes (events as last synced)."""
        me = self.account.address
        with self._lock:  # the withdraw schedule may be feeding the book right now
            mine = [job for job in self.jobs.jobs("MATCHED", "DISPUTED") if job.provider == me]
        if not mine:
            return  # the common case: no RPC beyond the event scan
        now = self.client.now()
        for job in mine:
            if job.status == "MATCHED" and now <= job.result_deadline and job.job_id not in self.unexecutable:
                self.unexecutable.run(job.job_id, partial(self.submit, job))
            elif job.status == "DISPUTED":
                self.defend(job, now)

    def submit(self, job: JobFacts) -> None:
        if self.client.job(job.job_id).status != "MATCHED":
            return
        published = self.jobs.terms(job.terms_hash)
        trace = self.traces.get(published, self.fault_for(published))
        proof = trace.proof(published.terms.steps)
        sent = attempt(
            self.log,
            "submit_result",
            job.job_id,
            lambda: self.client.submit_result(job.job_id, published.terms, trace.output_hash, trace.root, proof),
            self.metrics,
        )
        if sent is not None:
            self.results_submitted.inc()

    def defend(self, job: JobFacts, now: int) -> None:
        move = self.client.next_move(job.job_id)
        if move.mover != self.account.address or now > move.deadline:
            return
        published = self.jobs.terms(job.terms_hash)
        trace = self.traces.get(published, self.fault_for(published))
        dispute = self.client.dispute(job.job_id)
        jobs = self.client.contracts.job_market
        if move.phase == "REVEAL":
            transact = jobs.reveal(job.job_id, trace.hashes[dispute.mid], trace.proof(dispute.mid))
        elif move.phase == "PROVE":
            transact = jobs.prove_step(job.job_id, published.terms, trace.states[dispute.lo])
        else:
            return
        if attempt(self.log, transact.label, job.job_id, partial(self.client.send, transact), self.metrics) is not None:
            self.dispute_moves.labels(transact.label).inc()
