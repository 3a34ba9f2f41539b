"""The provider agent's delivery manager: the handshake, the workloads' records, teardown and health.

Every request comes from the access server (`keepers.delivery.access`) as a lease id and a
JSON body. A deploy is checked completely before anything starts: the body, the signature's
age, the lease (this provider's, ACTIVE), the signer (the lease's tenant on chain), the
manifest hash (the lease's commitment on chain), the units (no more than leased), the sealed
secrets (the declared names, each opened with this agent's key). Only then does the backend
launch, and a launch that fails leaves nothing running. Each refusal is one line, answered
to the tenant and logged.

What runs is kept in one record per lease (`<work_dir>/records/lease-<id>.json`, 0600): the
manifest, the sealed secrets, the credential, the ports, the devices and the backend's
handle. Each poll (`tick`) reads the chain's status of every lease with a record and tears
down the workload of one that is no longer ACTIVE (closed, expired, insolvent, terminated),
then probes the others' ports and restarts a workload that failed, up to a limit. On start
(`reconcile`) the records and the backend's leftovers are compared with the chain: live
leases' workloads are adopted (restarted if they died with the machine), the rest removed.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nacl.public import PrivateKey
from prometheus_client import Gauge

from keepers.client import LeaseholdClient, LeaseInfo
from keepers.delivery import messages
from keepers.delivery.backends.base import Backend, Launch, accepts
from keepers.delivery.config import DeliveryConfig
from keepers.delivery.errors import BackendError, DeliveryRefused
from keepers.delivery.gpu import Inventory
from keepers.delivery.manifest import Manifest, ManifestError, parse_manifest
from keepers.delivery.sealing import open_sealed
from keepers.ids import ZERO_BYTES32
from keepers.sender import Refused

MAX_BODY_BYTES = 256 * 1024
LOG_POLL_SECONDS = 0.2


@dataclass
class Record:
    lease_id: int
    gpu_model: str
    manifest: dict
    sealed: dict[str, str]
    credential: str
    ports: dict[str, int] = field(default_factory=dict)
    devices: list[int] = field(default_factory=list)
    handle: dict | None = None
    restarts: int = 0
    failures: int = 0  # consecutive failed probes
    failed: bool = False  # restarts used up: stopped until the tenant deploys again
    serving: bool = False  # the last probe found every port accepting


def build_backend(config: DeliveryConfig, root: Path) -> Backend:
    if config.backend == "docker":
        from keepers.delivery.backends.docker import DockerBackend  # the SDK only where it is used

        return DockerBackend(
            root,
            start_timeout_seconds=config.start_timeout_seconds,
            stop_grace_seconds=config.stop_grace_seconds,
            base_url=config.docker_url,
            gpus=config.docker_gpus,
            memory_limit_mb=config.memory_limit_mb,
            network=config.docker_network,
        )
    from keepers.delivery.backends.process import ProcessBackend

    return ProcessBackend(
        root,
        start_timeout_seconds=config.start_timeout_seconds,
        stop_grace_seconds=config.stop_grace_seconds,
        memory_limit_mb=config.memory_limit_mb,
        max_open_files=config.max_open_files,
    )


class DeliveryManager:
    def __init__(
        self,
        *,
        client: LeaseholdClient,
        provider: str,
        config: DeliveryConfig,
        work_dir: Path,
        key: PrivateKey,
        inventory: Inventory,
        log,
        metrics,
        backend: Backend | None = None,
    ) -> None:
        self.client = client
        self.provider = provider
        self.config = config
        self.key = key
        self.inventory = inventory
        self.log = log
        self.chain_id = client.w3.eth.chain_id
        self.records_dir = work_dir / "records"
        self.records_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.records_dir, 0o700)
        self.backend = backend or build_backend(config, work_dir / "runtime")
        self.public_host = config.public_host or config.host
        self.records: dict[int, Record] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._stopping = threading.Event()
        self.launched = metrics.counter("workloads_launched", "Workloads launched after a tenant's deploy")
        self.torn_down = metrics.counter("workloads_torn_down", "Workloads stopped and removed", ("reason",))
        self.restarted = metrics.counter("workloads_restarted", "Workloads restarted after failed probes")
        self.refused = metrics.counter("deliveries_refused", "Deploy, access and logs requests refused", ("action",))
        self.running_gauge = Gauge("workloads_running", "Workloads with a record", registry=metrics.registry)

    # ---------------------------------------------------------------- requests from tenants

    def deploy(self, lease_id: int, body: bytes) -> dict:
        data = self._json(body)
        try:
            manifest = parse_manifest(data.get("manifest"))
        except ManifestError as error:
            raise DeliveryRefused(str(error)) from None
        sealed = data.get("sealed_secrets") or {}
        if not isinstance(sealed, dict) or not all(isinstance(v, str) for v in sealed.values()):
            raise DeliveryRefused("delivery error: sealed_secrets must map names to base64 text")
        issued_at, signature = self._issued(data)
        lease = self._lease(lease_id)
        signer = self._recover(
            lambda: messages.deploy_signer(
                self.chain_id, self.client.market.address, lease_id, manifest.hash, sealed, issued_at, signature
            )
        )
        self._check_tenant(lease, signer)
        commitment = self.client.contracts.market.terms_hash_of(lease_id)
        if commitment == ZERO_BYTES32:
            raise DeliveryRefused(f"lease {lease_id} committed to no manifest: request with --manifest to deploy", 409)
        if manifest.hash != commitment:
            raise DeliveryRefused(
                f"manifest hash 0x{manifest.hash.hex()} does not match lease {lease_id}'s "
                f"commitment 0x{commitment.hex()}",
                409,
            )
        if manifest.units > lease.units:
            raise DeliveryRefused(f"manifest asks for {manifest.units} units; lease {lease_id} has {lease.units}", 422)
        if sorted(sealed) != sorted(manifest.secrets):
            raise DeliveryRefused(f"sealed secrets {sorted(sealed)} differ from the manifest's {manifest.secrets}")
        for name, box in sealed.items():
            open_sealed(self.key, name, box)  # every secret opens before anything starts
        runnable = manifest.image is not None if self.backend.name == "docker" else bool(manifest.command)
        if not runnable:
            needs = "an image" if self.backend.name == "docker" else "a command"
            raise DeliveryRefused(
                f"this provider runs the {self.backend.name} backend: the manifest needs {needs}", 422
            )
        with self._lease_lock(lease_id):
            record = self.records.get(lease_id)
            if record is not None and not record.failed and self._running(record):
                return self._access_view(record)  # deployed already: the same manifest, nothing to do
            if record is not None:
                self._stop_runtime(record, remove=True)
            record = Record(
                lease_id=lease_id,
                gpu_model=lease.gpu_model,
                manifest=manifest.model_dump(mode="json"),
                sealed=dict(sealed),
                credential=secrets.token_urlsafe(32),
            )
            record.devices = self.inventory.hold(lease_id, lease.gpu_model, manifest.units)
            try:
                self._launch(record)
            except BackendError:
                self.inventory.release(lease_id)
                self._forget(lease_id)
                raise
            self.launched.inc()
            self.log.info(
                "workload launched",
                extra={
                    "event": "workload_launched",
                    "lease_id": lease_id,
                    "ports": record.ports,
                    "devices": record.devices,
                    "backend": self.backend.name,
                },
            )
            return self._access_view(record)

    def access(self, lease_id: int, body: bytes) -> dict:
        record = self._authorized(lease_id, body, "access")
        return self._access_view(record)

    def logs(self, lease_id: int, body: bytes) -> Iterator[bytes]:
        data = self._json(body)
        follow = bool(data.get("follow", False))
        self._authorized(lease_id, body, "logs")

        def stream() -> Iterator[bytes]:
            offset = 0
            while True:
                current = self.records.get(lease_id)
                chunk, offset = self.backend.read_logs(lease_id, current.handle if current else None, offset)
                if chunk:
                    yield chunk
                    continue
                if not follow or current is None or self._stopping.is_set():
                    return
                time.sleep(LOG_POLL_SECONDS)  # wall clock: waiting for the workload to write

        return stream()

    def _authorized(self, lease_id: int, body: bytes, action: str) -> Record:
        data = self._json(body)
        issued_at, signature = self._issued(data)
        lease = self._lease(lease_id)
        signer = self._recover(
            lambda: messages.request_signer(
                self.chain_id, self.client.market.address, lease_id, action, issued_at, signature
            )
        )
        self._check_tenant(lease, signer)
        record = self.records.get(lease_id)
        if record is None:
            raise DeliveryRefused(f"lease {lease_id}: nothing deployed; deploy its manifest first", 404)
        return record

    # ---------------------------------------------------------------- checks

    def _json(self, body: bytes) -> dict:
        if len(body) > MAX_BODY_BYTES:
            raise DeliveryRefused(f"delivery error: body larger than {MAX_BODY_BYTES} bytes", 413)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise DeliveryRefused("delivery error: the body is not JSON") from None
        if not isinstance(data, dict):
            raise DeliveryRefused("delivery error: the body must be a JSON object")
        return data

    def _issued(self, data: dict) -> tuple[int, str]:
        issued_at, signature = data.get("issued_at"), data.get("signature")
        if not isinstance(issued_at, int) or not isinstance(signature, str):
            raise DeliveryRefused("delivery error: issued_at (int) and signature (0x hex) are required", 401)
        age = self.client.now() - issued_at
        if abs(age) > self.config.signature_max_age_seconds:
            raise DeliveryRefused(
                f"delivery error: signature issued {age} s from the chain's time; accepted within "
                f"{self.config.signature_max_age_seconds} s: sign again",
                401,
            )
        return issued_at, signature

    def _lease(self, lease_id: int) -> LeaseInfo:
        try:
            lease = self.client.lease(lease_id)
        except Refused:
            raise DeliveryRefused(f"lease {lease_id} not found", 404) from None
        if lease.provider != self.provider:
            raise DeliveryRefused(f"lease {lease_id} is not served by this provider ({self.provider})", 404)
        if lease.status != "ACTIVE":
            raise DeliveryRefused(f"lease {lease_id} is {lease.status}: nothing runs for an ended lease", 409)
        return lease

    @staticmethod
    def _recover(recover) -> str:
        try:
            return recover()
        except Exception:  # a malformed signature: eth-account raises several types
            raise DeliveryRefused("delivery error: the signature is malformed", 401) from None

    @staticmethod
    def _check_tenant(lease: LeaseInfo, signer: str) -> None:
        if signer != lease.tenant:
            raise DeliveryRefused(f"signer {signer} is not the tenant of lease {lease.lease_id}", 403)

    # ---------------------------------------------------------------- running

    def _launch(self, record: Record) -> None:
        manifest = Manifest.model_validate(record.manifest)
        env = dict(manifest.env)
        for name, box in record.sealed.items():
            env[name] = open_sealed(self.key, name, box)
        env["LEASEHOLD_LEASE_ID"] = str(record.lease_id)
        env["LEASEHOLD_CREDENTIAL"] = record.credential
        launch = Launch(record.lease_id, manifest, env, record.devices, dict(record.ports))
        record.handle, record.ports = self.backend.launch(launch)
        record.failures, record.failed, record.serving = 0, False, True
        self._save(record)

    def _running(self, record: Record) -> bool:
        return record.handle is not None and self.backend.running(record.handle)

    def _stop_runtime(self, record: Record, *, remove: bool) -> None:
        self.backend.stop(record.lease_id, record.handle, remove=remove)
        record.serving = False
        if remove:
            record.handle = None

    def teardown(self, lease_id: int, reason: str) -> None:
        with self._lease_lock(lease_id):
            record = self.records.get(lease_id)
            if record is None:
                return
            self._stop_runtime(record, remove=True)
            self.inventory.release(lease_id)
            self._forget(lease_id)
        self.torn_down.labels(reason).inc()
        self.log.info(
            "workload torn down", extra={"event": "workload_torn_down", "lease_id": lease_id, "reason": reason}
        )

    def teardown_all(self, reason: str = "agent_shutdown") -> None:
        for lease_id in sorted(self.records):
            self.teardown(lease_id, reason)

    def tick(self) -> None:
        """Tears down the workloads of ended leases, then probes the rest (restarting failed ones)."""
        ids = sorted(self.records)
        if ids:
            for lease in self.client.leases(ids):
                if lease.status != "ACTIVE" or lease.provider != self.provider:
                    self.teardown(lease.lease_id, lease.status.lower())
        for lease_id in sorted(self.records):
            self._probe(lease_id)
        self.running_gauge.set(len(self.records))

    def _probe(self, lease_id: int) -> None:
        with self._lease_lock(lease_id):
            record = self.records.get(lease_id)
            if record is None or record.failed:
                return
            record.serving = self._running(record) and all(
                accepts(self.backend_host, port) for port in record.ports.values()
            )
            if record.serving:
                record.failures = 0
                return
            record.failures += 1
            if record.failures < self.config.probe_failures_before_restart:
                return
            self._stop_runtime(record, remove=False)
            if record.restarts >= self.config.max_restarts:
                record.failed = True
                self._save(record)
                self.log.warning(
                    "workload failed; restarts used up",
                    extra={"event": "workload_failed", "lease_id": lease_id, "restarts": record.restarts},
                )
                return
            record.restarts += 1
            try:
                self._launch(record)
            except BackendError as error:
                self._save(record)
                self.log.warning(
                    "workload restart failed",
                    extra={"event": "workload_restart_failed", "lease_id": lease_id, "error": str(error)},
                )
                return
            self.restarted.inc()
            self.log.info(
                "workload restarted",
                extra={"event": "workload_restarted", "lease_id": lease_id, "restarts": record.restarts},
            )

    @property
    def backend_host(self) -> str:
        return getattr(self.backend, "host", "127.0.0.1")

    def may_answer(self, lease_id: int) -> bool:
        """Whether a liveness challenge of the lease may be answered: no workload deployed (a bare rental,
        or the tenant has not deployed yet), or its workload served at the last probe."""
        record = self.records.get(lease_id)
        return record is None or (record.serving and not record.failed)

    def reconcile(self) -> dict[str, list[int]]:
        """Adopts the live leases' workloads, removes the ended ones' (records and backend leftovers)."""
        for path in sorted(self.records_dir.glob("lease-*.json")):
            try:
                record = Record(**json.loads(path.read_text()))
            except (ValueError, TypeError):
                self.log.warning(
                    "unreadable workload record removed", extra={"event": "record_unreadable", "path": str(path)}
                )
                path.unlink()
                continue
            self.records[record.lease_id] = record
        done: dict[str, list[int]] = {"adopted": [], "restarted": [], "removed": []}
        leases = {lease.lease_id: lease for lease in self.client.leases(sorted(self.records))} if self.records else {}
        for lease_id, record in sorted(self.records.items()):
            lease = leases[lease_id]
            if lease.status != "ACTIVE" or lease.provider != self.provider:
                self.teardown(lease_id, f"reconciled_{lease.status.lower()}")
                done["removed"].append(lease_id)
                continue
            self.inventory.hold(lease_id, record.gpu_model, len(record.devices), record.devices or None)
            if record.failed or self._running(record):
                done["adopted"].append(lease_id)
                continue
            try:
                self._stop_runtime(record, remove=False)
                self._launch(record)
                done["restarted"].append(lease_id)
            except BackendError as error:
                record.failed = True
                self._save(record)
                self.log.warning(
                    "adopted workload cannot restart",
                    extra={"event": "workload_restart_failed", "lease_id": lease_id, "error": str(error)},
                )
        for lease_id in self.backend.leftovers():
            if lease_id not in self.records:
                self.backend.stop(lease_id, None, remove=True)
                done["removed"].append(lease_id)
        self.log.info("workloads reconciled with the chain", extra={"event": "workloads_reconciled", **done})
        self.running_gauge.set(len(self.records))
        return done

    def stop(self) -> None:
        """Ends log streams; workloads keep running for the next start to adopt."""
        self._stopping.set()

    # ---------------------------------------------------------------- records

    def _access_view(self, record: Record) -> dict:
        manifest = Manifest.model_validate(record.manifest)
        schemes = {port.name: port.protocol for port in manifest.ports}
        return {
            "lease_id": record.lease_id,
            "status": "failed" if record.failed else "serving" if record.serving else "starting",
            "endpoints": {
                name: f"{'http' if schemes.get(name) == 'http' else 'tcp'}://{self.public_host}:{port}"
                for name, port in record.ports.items()
            },
            "credential": record.credential,
            "restarts": record.restarts,
            "backend": self.backend.name,
        }

    def _save(self, record: Record) -> None:
        self.records[record.lease_id] = record
        path = self.records_dir / f"lease-{record.lease_id}.json"
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(asdict(record), out)
        os.replace(temporary, path)

    def _forget(self, lease_id: int) -> None:
        self.records.pop(lease_id, None)
        (self.records_dir / f"lease-{lease_id}.json").unlink(missing_ok=True)

    def _lease_lock(self, lease_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(lease_id, threading.Lock())
