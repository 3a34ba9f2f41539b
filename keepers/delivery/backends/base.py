"""What every runtime backend does for the delivery manager.

A backend starts one workload per lease from a `Launch`, says whether it still runs, stops
it and removes its files, and reads its logs. It returns a `handle` (JSON data: a process
group, a container id) that the manager keeps in the lease's record, so a restarted agent can
find the workload again without the backend remembering anything itself.
"""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from keepers.delivery.manifest import Manifest


@dataclass(frozen=True)
class Launch:
    lease_id: int
    manifest: Manifest
    env: dict[str, str]  # the manifest's env, the opened secrets and what the agent sets
    devices: list[int]  # GPU device indices of the leased units
    host_ports: dict[str, int] = field(default_factory=dict)  # name -> host port; empty: the backend picks


class Backend(ABC):
    name: str

    def __init__(self, root: Path, *, start_timeout_seconds: float, stop_grace_seconds: float) -> None:
        self.root = root
        self.start_timeout_seconds = start_timeout_seconds
        self.stop_grace_seconds = stop_grace_seconds
        root.mkdir(parents=True, exist_ok=True)

    def lease_dir(self, lease_id: int) -> Path:
        return self.root / f"lease-{lease_id}"

    @abstractmethod
    def launch(self, launch: Launch) -> tuple[dict, dict[str, int]]:
        """Starts the workload and waits until it listens on every port; returns (handle, host ports).

        Raises `BackendError` with one line, leaving nothing running, when it cannot.
        """

    @abstractmethod
    def running(self, handle: dict) -> bool:
        """Whether the workload of `handle` still runs (a port probe says whether it serves)."""

    @abstractmethod
    def stop(self, lease_id: int, handle: dict | None, *, remove: bool = True) -> None:
        """Stops the workload (gracefully, then by force) and, with `remove`, its files; idempotent."""

    @abstractmethod
    def read_logs(self, lease_id: int, handle: dict | None, offset: int) -> tuple[bytes, int]:
        """Log output from byte `offset` on, and the offset after it."""

    def leftovers(self) -> list[int]:
        """Leases the backend holds something for (files, containers), records or not: for reconciliation."""
        return sorted(
            int(path.name.removeprefix("lease-"))
            for path in self.root.glob("lease-*")
            if path.name.removeprefix("lease-").isdigit()
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
