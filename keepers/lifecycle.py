"""The `Keeper` base: a role is a subclass that registers jobs in `setup()`.

Jobs run on an APScheduler `BackgroundScheduler`, one run at a time per job
(`max_instances=1`, `coalesce=True`): a tick that comes while the previous run
still works is skipped and counted, and a run that overran its interval says so
in one log line (`job_overruns`). A run that raises is logged and counted; the
keeper goes on. An account out of gas money is reported once by the sender and
its work waits for the next tick. On start, transactions a killed run left
pending in the journal are settled before any job runs. SIGTERM or SIGINT stops
new runs, waits for the runs in flight (and the transactions they are sending),
closes the stores and returns 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import ClassVar

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict, ValidationError
from web3.contract import Contract

from keepers.accounts import load_account
from keepers.config import KeeperConfig
from keepers.contracts.deployed import Contracts
from keepers.deployment import Deployment, load_deployment
from keepers.errors import ConfigError, InsufficientFunds, KeeperError
from keepers.indexer import CheckpointStore, EventIndexer, IndexedEvent
from keepers.journal import Journal
from keepers.observability import HealthServer, Metrics, make_logger
from keepers.rpc import check_chain_id, web3_for
from keepers.sender import TransactionSender


class NoRoleConfig(BaseModel):
    """A role without settings: any key under `[role]` is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Keeper(ABC):
    """Base of every role. Subclasses set `role`, optionally `RoleConfig`, and implement `setup()`."""

    role: ClassVar[str]
    RoleConfig: ClassVar[type[BaseModel]] = NoRoleConfig
    # The ProtocolConfig role the account must hold (e.g. "MATCHER_ROLE"): checked at start-up, where
    # lacking it refuses to start, and on every /health, which answers 503 once it is revoked.
    required_role: ClassVar[str | None] = None

    def __init__(
        self,
        config: KeeperConfig,
        *,
        environ: Mapping[str, str] | None = None,
        name: str | None = None,
        logger=None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.environ = dict(os.environ if environ is None else environ)
        self.name = name or f"{self.role}-{os.getpid()}"
        self.log = logger or make_logger(self.name, self.role)
        self.clock = clock
        try:
            self.role_config = self.RoleConfig.model_validate(config.role)
        except ValidationError as error:
            first = error.errors()[0]
            key = ".".join(["role", *(str(part) for part in first["loc"])])
            raise ConfigError(f"config error: {key}: {first['msg'][0].lower()}{first['msg'][1:]}") from None
        self.metrics = Metrics()
        self.w3 = web3_for(config.chain, self.metrics, self.log)
        # APScheduler's own logger repeats what _on_run_skipped and _run_job report as JSON.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_listener(self._on_run_skipped, EVENT_JOB_MAX_INSTANCES)
        self.health: HealthServer | None = None
        self._stop_requested = threading.Event()
        self._received_signal: int | None = None
        self._skipped_ticks: dict[str, int] = {}  # per job, ticks skipped while its current run goes on

    # ---------------------------------------------------------------- what roles build on

    @abstractmethod
    def setup(self) -> None:
        """Registers the role's jobs with `add_job` (and builds what they need)."""

    def add_job(self, name: str, run: Callable[[], None], interval_seconds: float, *, run_now: bool = True) -> None:
        """Runs `run` every `interval_seconds`, never two at once; a late tick is run once, not piled up."""
        self.scheduler.add_job(
            self._run_job,
            "interval",
            args=(name, run, interval_seconds),
            id=name,
            name=name,
            seconds=interval_seconds,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(interval_seconds)),
            next_run_time=datetime.now(UTC) if run_now else None,
        )

    @cached_property
    def deployment(self) -> Deployment:
        if self.config.chain.deployment is None:
            raise ConfigError(f"config error: chain.deployment: required by role {self.role}")
        return load_deployment(self.config.chain.deployment, self.w3)

    @cached_property
    def contracts(self) -> Contracts:
        """The deployment's typed wrappers: the only way a role builds a contract call."""
        return Contracts(self.w3, self.deployment)

    @cached_property
    def account(self) -> LocalAccount:
        if self.config.account is None:
            raise ConfigError(f"config error: account: required by role {self.role}")
        return load_account(self.config.account, self.environ)

    @cached_property
    def journal(self) -> Journal:
        return Journal(self.config.transactions.state_dir)

    @cached_property
    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(self.config.transactions.state_dir)

    @cached_property
    def sender(self) -> TransactionSender:
        """The account's sender; built on first use, after finishing what a previous run left pending."""
        sender = TransactionSender(
            self.w3, self.account, self.config.transactions, self.journal, self.metrics, self.log
        )
        sender.recover()
        return sender

    def indexer(
        self,
        contracts: Sequence[Contract],
        *,
        name: str,
        on_event: Callable[[IndexedEvent], None],
        on_rollback: Callable[[int], None],
        event_names: Sequence[str] | None = None,
        start_block: int | None = None,
    ) -> EventIndexer:
        """An indexer configured from `[chain]`, starting by default at the deployment's block."""
        chain = self.config.chain

        def rolled_back(block_number: int) -> None:
            if "sender" in self.__dict__:
                self.sender.resync_nonce()
            on_rollback(block_number)

        return EventIndexer(
            self.w3,
            contracts,
            self.checkpoints,
            name=name,
            start_block=self.deployment.block_number if start_block is None else start_block,
            chunk_blocks=chain.logs_chunk_blocks,
            confirmations=chain.confirmations,
            lookback=chain.reorg_lookback_blocks,
            on_event=on_event,
            on_rollback=rolled_back,
            logger=self.log,
            event_names=event_names,
            metrics=self.metrics,
        )

    # ---------------------------------------------------------------- running

    def start(self) -> None:
        """Checks everything, then serves metrics and health, registers the role's jobs and starts them.

        Nothing is sent and no port is taken before the node, the deployment (its code on this chain),
        the key and the account's role are checked: the first problem is one line and exit code 2.
        """
        node_chain_id = check_chain_id(self.w3, self.config.chain)
        self.check_start()
        try:
            server = HealthServer(
                self.w3, self.metrics, self.config.metrics, clock=self.clock, problems=self.health_problem
            )
        except OSError as error:
            metrics = self.config.metrics
            where = f"{metrics.host}:{metrics.port}"
            if metrics.metrics_port is not None:
                where += f" or {metrics.metrics_host}:{metrics.metrics_port}"
            raise KeeperError(
                f"metrics error: cannot listen on {where}: {error.strerror or error}; "
                "set [metrics] port (0 picks a free one) or stop what holds it"
            ) from None
        self.health = server.start()
        if self.config.account is not None and self.journal.pending(self.account.address):
            # Building the sender recovers: a killed run's nonces are settled before any job sends.
            self.log.warning("previous run left transactions pending", extra={"event": "journal_pending"})
            _ = self.sender
        self.setup()
        self.scheduler.start()
        self.log.info(
            "keeper started",
            extra={
                "event": "keeper_started",
                "chain_id": node_chain_id,
                "health_url": self.health.url,
                "metrics_url": self.health.metrics_url,
            },
        )

    def check_start(self) -> None:
        """Start-up checks before any port or transaction: deployment code, key, role."""
        if self.config.chain.deployment is not None:
            _ = self.deployment  # loads the file and checks each contract has code on this chain
        if self.config.account is not None:
            _ = self.account
        problem = self._missing_role()
        if problem is not None:
            raise KeeperError(f"role error: {problem}; the keeper cannot do its job, so it does not start")

    def health_problem(self) -> str | None:
        """Why the keeper cannot do its job now (a role revoked, a deployment gone from the chain, an
        account without ether), or None."""
        problem = self._missing_role()
        if problem is not None:
            return problem
        if self.config.chain.deployment is not None:
            config = self.deployment.contracts.get("ProtocolConfig") or next(iter(self.deployment.contracts.values()))
            if not self.w3.eth.get_code(config.address):
                return (
                    f"deployment {self.deployment.source} has no code at {config.address} ({config.name}) "
                    "any more: was the chain restarted?"
                )
        if self.config.account is not None and self.w3.eth.get_balance(self.account.address) == 0:
            return f"account {self.account.address} holds no ether to pay for gas"
        return None

    def _missing_role(self) -> str | None:
        if self.required_role is None:
            return None
        config = self.contracts.config
        if config.has_role(self.w3.keccak(text=self.required_role), self.account.address):
            return None
        return (
            f"account {self.account.address} lacks {self.required_role} in ProtocolConfig {config.address} "
            f"(the owner grants it: leasehold dev grant-role {self.required_role.removesuffix('_ROLE').lower()})"
        )

    def request_stop(self) -> None:
        self._stop_requested.set()

    def stop(self) -> None:
        """Stops scheduling, waits for runs in flight, closes the stores."""
        self._stop_requested.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.health is not None:
            self.health.stop()
        for store in ("journal", "checkpoints"):
            if store in self.__dict__:
                self.__dict__[store].close()
        self.log.info("keeper stopped", extra={"event": "keeper_stopped"})

    def run(self) -> int:
        """Runs until SIGTERM or SIGINT; returns the process exit code."""
        self.start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        while not self._stop_requested.wait(timeout=0.5):
            pass
        if self._received_signal is not None:
            self.log.info(
                "stop requested; waiting for runs in flight",
                extra={"event": "stop_requested", "signal": signal.Signals(self._received_signal).name},
            )
        self.stop()
        return 0

    def _on_signal(self, signum: int, frame) -> None:
        # Only flags the stop: logging or locking inside a signal handler can deadlock.
        self._received_signal = signum
        self._stop_requested.set()

    def _run_job(self, name: str, run: Callable[[], None], interval_seconds: float) -> None:
        if self._stop_requested.is_set():
            return
        started = time.monotonic()
        self._skipped_ticks[name] = 0
        try:
            run()
        except InsufficientFunds:  # the sender logged it once; the work is still there at the next tick
            self.metrics.job_failures.labels(name).inc()
            return
        except Exception:  # a failed run is reported and retried on the next tick, never fatal
            self.metrics.job_failures.labels(name).inc()
            self.log.exception("job run failed", extra={"event": "job_failed", "job": name})
            return
        finally:
            self._report_overrun(name, time.monotonic() - started, interval_seconds)
        self.metrics.job_runs.labels(name).inc()

    def _report_overrun(self, name: str, elapsed: float, interval_seconds: float) -> None:
        skipped = self._skipped_ticks.pop(name, 0)
        if elapsed <= interval_seconds:
            return
        self.metrics.job_overruns.labels(name).inc()
        self.log.warning(
            "job run took longer than its interval; the ticks it overlapped were skipped, not run twice",
            extra={
                "event": "job_overrun",
                "job": name,
                "elapsed_seconds": round(elapsed, 3),
                "interval_seconds": interval_seconds,
                "ticks_skipped": skipped,
            },
        )

    def _on_run_skipped(self, event: JobExecutionEvent) -> None:
        # Each skipped tick is counted; the run it waited for logs the overrun once when it ends.
        self.metrics.job_skipped.labels(event.job_id).inc()
        self._skipped_ticks[event.job_id] = self._skipped_ticks.get(event.job_id, 0) + 1
        self.log.debug("previous run still going; tick skipped", extra={"event": "job_skipped", "job": event.job_id})
