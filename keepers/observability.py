"""JSON logs, Prometheus metrics in a registry of the keeper's own, and `/health`.

One HTTP server per keeper serves `/health`, and `/metrics` when it listens on
loopback; on any other address `/metrics` (which shows the account's balance)
moves to a private listener of its own (`[metrics] metrics_host:metrics_port`,
loopback by default). Both answer GET and HEAD. Metric names are exported with
the `leasehold_` prefix (`leasehold_head_block`); in the process they keep their
short names (`metrics.value("head_block")`).

`/health` asks the node for its head block on every request: it answers 200
while the head's timestamp is fresher than `stale_head_seconds`, 503 otherwise,
when the node does not answer, while the keeper's account cannot pay for gas, or
while the keeper cannot do its job (a role revoked: `status` "unfit", `reason`).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from pythonjsonlogger.json import JsonFormatter
from web3 import Web3

from keepers.config import MetricsConfig

METRIC_PREFIX = "leasehold_"


class PrefixedRegistry:
    """A registry's metrics under `METRIC_PREFIX`, for exposition: dashboards tell our metrics apart."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self):
        for family in self.registry.collect():
            family = copy.copy(family)
            family.name = METRIC_PREFIX + family.name
            family.samples = [sample._replace(name=METRIC_PREFIX + sample.name) for sample in family.samples]
            yield family


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_logger(keeper: str, role: str, level: int | str = logging.INFO, stream=None) -> KeeperLogAdapter:
    """A logger writing one JSON object per line with `keeper` and `role` on every record.

    Pass `extra={"event": "..."}` (and any other fields) for machine-readable records.
    """
    logger = logging.getLogger(f"leasehold.{role}.{keeper}")
    logger.setLevel(level)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False))
    logger.addHandler(handler)
    return KeeperLogAdapter(logger, {"keeper": keeper, "role": role})


class KeeperLogAdapter(logging.LoggerAdapter):
    """Adds `keeper` and `role` to every record while keeping the caller's own `extra` fields."""

    def process(self, msg, kwargs):
        kwargs["extra"] = {**self.extra, **kwargs.get("extra", {})}
        return msg, kwargs


class Metrics:
    """The keeper's metrics, in a registry of its own so several keepers can share a process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.head_block = Gauge("head_block", "Number of the node's latest block", registry=self.registry)
        self.head_lag_seconds = Gauge(
            "head_lag_seconds", "Wall clock minus the latest block's timestamp", registry=self.registry
        )
        self.account_balance_wei = Gauge(
            "account_balance_wei", "Native balance of the keeper's account", registry=self.registry
        )
        self.tx_sent = Counter("tx_sent", "Transactions broadcast", ["label"], registry=self.registry)
        self.tx_failed = Counter(
            "tx_failed", "Transactions reverted on chain, dropped or given up", ["label"], registry=self.registry
        )
        self.tx_replaced = Counter(
            "tx_replaced",
            "Stuck transactions re-sent at the same nonce with a higher fee",
            ["label"],
            registry=self.registry,
        )
        self.tx_refused = Counter(
            "tx_refused", "Transactions not sent because the simulation reverted", ["label"], registry=self.registry
        )
        # Keeper faults (issue 6, scenarios 4-8): races lost, gas money, overrunning jobs, restarts.
        self.races_lost = Counter(
            "races_lost",
            "Actions another keeper did first: refused by simulation or reverted on chain",
            ["action"],
            registry=self.registry,
        )
        self.insufficient_funds = Counter(
            "insufficient_funds",
            "Transactions not sent because the account cannot pay for their gas",
            ["label"],
            registry=self.registry,
        )
        self.out_of_funds = Gauge(
            "out_of_funds", "1 while the account cannot pay for its next transaction, else 0", registry=self.registry
        )
        self.job_overruns = Counter(
            "job_overruns", "Job runs that took longer than their schedule interval", ["job"], registry=self.registry
        )
        self.tx_recovered = Counter(
            "tx_recovered",
            "Transactions a previous run left pending, settled at start by final status",
            ["status"],
            registry=self.registry,
        )
        self.job_runs = Counter("job_runs", "Scheduled job runs that completed", ["job"], registry=self.registry)
        self.job_failures = Counter("job_failures", "Scheduled job runs that raised", ["job"], registry=self.registry)
        self.job_skipped = Counter(
            "job_skipped",
            "Scheduled runs skipped because the previous run was still going",
            ["job"],
            registry=self.registry,
        )
        # Chain and RPC faults (docs/reliability.md, scenarios 1-3).
        self.rpc_errors = Counter(
            "rpc_errors",
            "Failed RPC attempts by kind (connection, timeout, http_5xx), retried or not",
            ["kind"],
            registry=self.registry,
        )
        self.getlogs_range_splits = Counter(
            "getlogs_range_splits",
            "eth_getLogs ranges the node refused as too wide, then split",
            ["indexer"],
            registry=self.registry,
        )
        self.reorgs = Counter(
            "reorgs", "Re-orgs that replaced blocks an indexer had scanned", ["indexer"], registry=self.registry
        )
        self.reorg_rolled_back_blocks = Counter(
            "reorg_rolled_back_blocks",
            "Scanned blocks given back to re-orgs (the depth, summed)",
            ["indexer"],
            registry=self.registry,
        )
        self._role_counters: dict[str, Counter] = {}

    def counter(self, name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> Counter:
        """A role's own counter (e.g. `matches`, exported as `matches_total`); same name, same counter."""
        if name not in self._role_counters:
            self._role_counters[name] = Counter(name, documentation, labelnames, registry=self.registry)
        return self._role_counters[name]

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """Current value of a sample, 0 when it was never set: for health checks and tests."""
        return self.registry.get_sample_value(name, labels or {}) or 0.0

    def observe_head(self, w3: Web3, clock: Callable[[], float]) -> tuple[int, float]:
        block = w3.eth.get_block("latest")
        lag = clock() - block["timestamp"]
        self.head_block.set(block["number"])
        self.head_lag_seconds.set(lag)
        return block["number"], lag


class HealthServer:
    """Serves `/metrics` and `/health` from a daemon thread; port 0 picks a free port."""

    def __init__(
        self,
        w3: Web3,
        metrics: Metrics,
        config: MetricsConfig,
        *,
        clock: Callable[[], float] = time.time,
        problems: Callable[[], str | None] | None = None,
    ) -> None:
        self.w3 = w3
        self.metrics = metrics
        self.stale_head_seconds = config.stale_head_seconds
        self.clock = clock
        self.problems = problems  # why the keeper cannot do its job (a role lost...), or None
        private = config.metrics_port is not None or not is_loopback(config.host)
        self._server = ThreadingHTTPServer((config.host, config.port), self._handler_class(serves_metrics=not private))
        self._private: ThreadingHTTPServer | None = None
        if private:
            try:
                self._private = ThreadingHTTPServer(
                    (config.metrics_host, config.metrics_port or 0), self._handler_class(serves_metrics=True)
                )
            except OSError:
                self._server.server_close()
                raise
        self._threads = [
            threading.Thread(target=server.serve_forever, name="health-server", daemon=True)
            for server in (self._server, self._private)
            if server is not None
        ]
        for server in (self._server, self._private):
            if server is not None:
                server.daemon_threads = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    @property
    def metrics_url(self) -> str:
        """Where /metrics is served: this listener on loopback, else the private one."""
        server = self._private or self._server
        return f"http://{server.server_address[0]}:{server.server_address[1]}"

    def start(self) -> HealthServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in (self._server, self._private):
            if server is not None:
                server.shutdown()
                server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def health(self) -> tuple[int, dict]:
        try:
            head, lag = self.metrics.observe_head(self.w3, self.clock)
        except Exception as error:  # any failure to reach the node means unhealthy, never a crashed server
            return 503, {"status": "unhealthy", "reason": f"node unreachable: {error}"}
        body = {"head_block": head, "head_lag_seconds": lag, "stale_head_seconds": self.stale_head_seconds}
        if lag > self.stale_head_seconds:
            return 503, {"status": "stale", **body}
        if self.metrics.value("out_of_funds"):
            return 503, {"status": "out_of_funds", **body}
        try:
            problem = self.problems() if self.problems is not None else None
        except Exception as error:  # a check that cannot run is a node problem
            problem = f"health check failed: {error}"
        if problem is not None:
            return 503, {"status": "unfit", "reason": problem, **body}
        return 200, {"status": "ok", **body}

    def _handler_class(self, *, serves_metrics: bool):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(with_body=True)

            def do_HEAD(self) -> None:
                self._answer(with_body=False)

            def _answer(self, *, with_body: bool) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/health":
                    status, body = server.health()
                    self._reply(status, "application/json", json.dumps(body).encode(), with_body)
                elif path == "/metrics" and serves_metrics:
                    self._reply(
                        200, CONTENT_TYPE_LATEST, generate_latest(PrefixedRegistry(server.metrics.registry)), with_body
                    )
                elif path == "/metrics":
                    self._reply(
                        404,
                        "text/plain",
                        b"metrics are served on the private listener ([metrics] metrics_host:metrics_port)\n",
                        with_body,
                    )
                else:
                    self._reply(404, "text/plain", b"not found\n", with_body)

            def _reply(self, status: int, content_type: str, body: bytes, with_body: bool = True) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def log_message(self, format, *args) -> None:
                """Scrapes are not worth a log line each."""

        return Handler
