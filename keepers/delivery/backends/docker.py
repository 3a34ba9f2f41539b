"""The `docker` backend: each workload is a container on a Docker Engine, through the Docker SDK.

The container is named `leasehold-lease-<id>` and labelled with its lease and with this agent's
work directory (`leasehold.lease`, `leasehold.agent`), so a restarted agent finds its own
containers and no other agent's. Images are never pulled: a manifest names an image the
provider has (a missing one is refused by name). With `docker_gpus` the leased units' devices
are requested from the NVIDIA runtime (`--gpus device=<ids>`).

Networking, by `docker_network`: `bridge` publishes each manifest port (`port`, inside the
container) on a free host port; `host` runs the container in the host's network and passes
the host ports in `PORT_<NAME>`, as the process backend does (what the tests use: no bridge
network on the test machine).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from string import Template

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import DeviceRequest

from keepers.delivery.backends.base import Backend, Launch, accepts, free_port
from keepers.delivery.errors import BackendError
from keepers.errors import ConfigError

_CHECK_INTERVAL = 0.1
LEASE_LABEL = "leasehold.lease"
AGENT_LABEL = "leasehold.agent"


class DockerBackend(Backend):
    name = "docker"

    def __init__(
        self,
        root: Path,
        *,
        start_timeout_seconds: float = 10.0,
        stop_grace_seconds: float = 5.0,
        base_url: str | None = None,
        gpus: bool = False,
        memory_limit_mb: int | None = None,
        network: str = "host",
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(root, start_timeout_seconds=start_timeout_seconds, stop_grace_seconds=stop_grace_seconds)
        try:
            self.docker = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
            self.docker.ping()
        except DockerException as error:
            raise ConfigError(f"config error: role.delivery.docker_url: no Docker Engine answers: {error}") from None
        self.gpus = gpus
        self.memory_limit_mb = memory_limit_mb
        self.network = network
        self.host = host
        self.agent = str(root.resolve())

    def _name(self, lease_id: int) -> str:
        return f"leasehold-lease-{lease_id}"

    def launch(self, launch: Launch) -> tuple[dict, dict[str, int]]:
        manifest = launch.manifest
        if manifest.image is None:
            raise BackendError(f"lease {launch.lease_id}: the docker backend runs an image; the manifest has none")
        try:
            self.docker.images.get(manifest.image)
        except ImageNotFound:
            raise BackendError(
                f"lease {launch.lease_id}: image {manifest.image!r} not found on this provider (images are not pulled)"
            ) from None
        ports = {port.name: launch.host_ports.get(port.name) or free_port(self.host) for port in manifest.ports}
        env = dict(launch.env)
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(device) for device in launch.devices)
        options: dict = {}
        if self.network == "host":
            options["network_mode"] = "host"
            for index, port in enumerate(manifest.ports):
                env[f"PORT_{port.name.upper().replace('-', '_')}"] = str(ports[port.name])
                if index == 0:
                    env["PORT"] = str(ports[port.name])
        else:
            missing = [port.name for port in manifest.ports if port.port == 0]
            if missing:
                raise BackendError(
                    f"lease {launch.lease_id}: ports {', '.join(missing)}: the container port is required to publish it"
                )
            options["ports"] = {f"{port.port}/tcp": (self.host, ports[port.name]) for port in manifest.ports}
            for port in manifest.ports:
                env[f"PORT_{port.name.upper().replace('-', '_')}"] = str(port.port)
        if self.gpus and launch.devices:
            options["device_requests"] = [
                DeviceRequest(device_ids=[str(d) for d in launch.devices], capabilities=[["gpu"]])
            ]
        if self.memory_limit_mb is not None:
            options["mem_limit"] = f"{self.memory_limit_mb}m"
        command = [Template(arg).safe_substitute(env) for arg in manifest.command] or None
        self._remove(launch.lease_id)  # a stopped container of an earlier start
        try:
            container = self.docker.containers.run(
                manifest.image,
                command=command,
                environment=env,
                detach=True,
                name=self._name(launch.lease_id),
                labels={LEASE_LABEL: str(launch.lease_id), AGENT_LABEL: self.agent},
                **options,
            )
        except APIError as error:
            self._remove(launch.lease_id)
            raise BackendError(
                f"lease {launch.lease_id}: the engine refused the container: {error.explanation or error}".replace(
                    "\n", " "
                )
            ) from None
        handle = {"container": container.id}
        self._wait_until_serving(launch.lease_id, handle, ports)
        return handle, ports

    def _wait_until_serving(self, lease_id: int, handle: dict, ports: dict[str, int]) -> None:
        deadline = time.monotonic() + self.start_timeout_seconds
        waiting = dict(ports)
        while True:
            container = self._container(handle)
            if container is None or container.status in ("exited", "dead"):
                code = container.attrs["State"]["ExitCode"] if container is not None else None
                lines = container.logs().decode(errors="replace").strip().splitlines() if container else []
                self.stop(lease_id, handle)
                raise BackendError(
                    f"lease {lease_id}: the workload exited at start (code {code})"
                    + (f": {lines[-1][:200]}" if lines else "")
                )
            waiting = {name: port for name, port in waiting.items() if not accepts(self.host, port)}
            if not waiting and container.status == "running":
                return
            if time.monotonic() > deadline:
                self.stop(lease_id, handle)
                listed = ", ".join(f"{name} ({port})" for name, port in waiting.items())
                raise BackendError(
                    f"lease {lease_id}: the workload did not listen on port {listed} "
                    f"within {self.start_timeout_seconds:g} s"
                )
            time.sleep(_CHECK_INTERVAL)  # wall clock: a real container is starting

    def _container(self, handle: dict | None):
        if handle is None:
            return None
        try:
            return self.docker.containers.get(handle["container"])
        except NotFound:
            return None

    def running(self, handle: dict) -> bool:
        container = self._container(handle)
        return container is not None and container.status == "running"

    def stop(self, lease_id: int, handle: dict | None, *, remove: bool = True) -> None:
        container = self._container(handle)
        if container is not None and container.status == "running":
            with contextlib.suppress(NotFound):
                container.stop(timeout=max(1, int(self.stop_grace_seconds)))
        if remove:
            self._remove(lease_id)

    def _remove(self, lease_id: int) -> None:
        with contextlib.suppress(NotFound):
            self.docker.containers.get(self._name(lease_id)).remove(force=True)

    def read_logs(self, lease_id: int, handle: dict | None, offset: int) -> tuple[bytes, int]:
        container = self._container(handle)
        if container is None:
            return b"", offset
        data = container.logs()[offset:]
        return data, offset + len(data)

    def leftovers(self) -> list[int]:
        containers = self.docker.containers.list(all=True, filters={"label": f"{AGENT_LABEL}={self.agent}"})
        return sorted(int(c.labels[LEASE_LABEL]) for c in containers if c.labels.get(LEASE_LABEL, "").isdigit())
