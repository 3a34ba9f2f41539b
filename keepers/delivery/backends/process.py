"""The `process` backend: each workload is a local process group in a working directory of its own.

The command runs in `<work_dir>/lease-<id>/work` with its output in `.../workload.log`, in a
new session (so a signal to the agent does not reach it and the whole group can be stopped
at once), with the environment the manager built: the manifest's env, the opened secrets,
`CUDA_VISIBLE_DEVICES` of the leased units, and a free host port per manifest port in
`PORT_<NAME>` (the first also in `PORT`). `${PORT_HTTP}`-style references in the command are
filled in from those. Resource limits are set on the process right after it starts
(address space, open files, no core dumps): what the OS offers without containers.

A workload survives its agent: a restarted agent finds it again by the process id and start
time kept in the record, and stops it by its process group.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path
from string import Template

import psutil

from keepers.delivery.backends.base import Backend, Launch, accepts, free_port
from keepers.delivery.errors import BackendError

_CHECK_INTERVAL = 0.05
_BASE_ENV = ("PATH", "LANG", "LC_ALL", "TZ")  # the agent's environment passes on only these


class ProcessBackend(Backend):
    name = "process"

    def __init__(
        self,
        root: Path,
        *,
        start_timeout_seconds: float = 10.0,
        stop_grace_seconds: float = 5.0,
        memory_limit_mb: int | None = None,
        max_open_files: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(root, start_timeout_seconds=start_timeout_seconds, stop_grace_seconds=stop_grace_seconds)
        self.memory_limit_mb = memory_limit_mb
        self.max_open_files = max_open_files
        self.host = host
        self._children: dict[int, subprocess.Popen] = {}  # pid -> the Popen of workloads this agent started

    def launch(self, launch: Launch) -> tuple[dict, dict[str, int]]:
        manifest = launch.manifest
        if not manifest.command:
            raise BackendError(f"lease {launch.lease_id}: the process backend runs a command; the manifest has none")
        ports = {port.name: launch.host_ports.get(port.name) or free_port(self.host) for port in manifest.ports}
        env = {name: os.environ[name] for name in _BASE_ENV if name in os.environ}
        env.update(launch.env)
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(device) for device in launch.devices)
        for index, port in enumerate(manifest.ports):
            env[f"PORT_{port.name.upper().replace('-', '_')}"] = str(ports[port.name])
            if index == 0:
                env["PORT"] = str(ports[port.name])
        argv = [Template(arg).safe_substitute(env) for arg in manifest.command]
        if shutil.which(argv[0], path=env.get("PATH")) is None:
            raise BackendError(f"lease {launch.lease_id}: command {argv[0]!r} not found on this provider")

        lease_dir = self.lease_dir(launch.lease_id)
        work = lease_dir / "work"
        work.mkdir(parents=True, exist_ok=True)
        log_path = lease_dir / "workload.log"
        try:
            with open(log_path, "ab") as log:
                child = subprocess.Popen(
                    argv,
                    cwd=work,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as error:
            shutil.rmtree(lease_dir, ignore_errors=True)
            raise BackendError(f"lease {launch.lease_id}: cannot start {argv[0]!r}: {error.strerror}") from None
        self._children[child.pid] = child
        handle = {"pid": child.pid, "pgid": child.pid, "started": psutil.Process(child.pid).create_time()}
        self._limit(child.pid)
        self._wait_until_serving(launch.lease_id, handle, ports)
        return handle, ports

    def _limit(self, pid: int) -> None:
        try:
            process = psutil.Process(pid)
            process.rlimit(resource.RLIMIT_CORE, (0, 0))
            if self.memory_limit_mb is not None:
                size = self.memory_limit_mb * 1024 * 1024
                process.rlimit(resource.RLIMIT_AS, (size, size))
            if self.max_open_files is not None:
                process.rlimit(resource.RLIMIT_NOFILE, (self.max_open_files, self.max_open_files))
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            pass  # it exited already: the start check says why

    def _wait_until_serving(self, lease_id: int, handle: dict, ports: dict[str, int]) -> None:
        deadline = time.monotonic() + self.start_timeout_seconds
        waiting = dict(ports)
        while True:
            if not self.running(handle):
                code = self._exit_code(handle)
                last = self._last_line(lease_id)
                self.stop(lease_id, handle)
                raise BackendError(
                    f"lease {lease_id}: the workload exited at start (code {code})" + (f": {last}" if last else "")
                )
            waiting = {name: port for name, port in waiting.items() if not accepts(self.host, port)}
            if not waiting:
                return
            if time.monotonic() > deadline:
                self.stop(lease_id, handle)
                listed = ", ".join(f"{name} ({port})" for name, port in waiting.items())
                raise BackendError(
                    f"lease {lease_id}: the workload did not listen on port {listed} "
                    f"within {self.start_timeout_seconds:g} s"
                )
            time.sleep(_CHECK_INTERVAL)  # wall clock: a real process is starting

    def running(self, handle: dict) -> bool:
        child = self._children.get(handle["pid"])
        if child is not None and child.poll() is not None:
            return False
        try:
            process = psutil.Process(handle["pid"])
            return abs(process.create_time() - handle["started"]) < 0.01 and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def _exit_code(self, handle: dict) -> int | None:
        child = self._children.get(handle["pid"])
        return None if child is None else child.poll()

    def _group_alive(self, pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return any(p.status() != psutil.STATUS_ZOMBIE for p in psutil.process_iter() if _pgid(p) == pgid)

    def stop(self, lease_id: int, handle: dict | None, *, remove: bool = True) -> None:
        if handle is not None:
            if self._owns_group(handle) and not self._signal_group(handle, signal.SIGTERM, self.stop_grace_seconds):
                self._signal_group(handle, signal.SIGKILL, 5.0)
            self._reap(handle["pid"])
            self._children.pop(handle["pid"], None)
        if remove:
            shutil.rmtree(self.lease_dir(lease_id), ignore_errors=True)

    def _signal_group(self, handle: dict, signum: int, wait: float) -> bool:
        """Signals the workload's process group; whether the whole group ended within `wait` seconds."""
        try:
            os.killpg(handle["pgid"], signum)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self._reap(handle["pid"])
            if not self._group_alive(handle["pgid"]):
                return True
            time.sleep(_CHECK_INTERVAL)  # wall clock: the process group is exiting
        return False

    def _owns_group(self, handle: dict) -> bool:
        """The group is still the workload's: its leader is the process we started, or it is gone and
        members remain (never signal a group whose id a new process took after a reboot)."""
        if self.running(handle):
            return True
        try:
            psutil.Process(handle["pgid"])
            return False  # the id belongs to another process now
        except psutil.NoSuchProcess:
            return self._group_alive(handle["pgid"])

    def _reap(self, pid: int) -> None:
        child = self._children.get(pid)
        if child is not None:
            child.poll()

    def read_logs(self, lease_id: int, handle: dict | None, offset: int) -> tuple[bytes, int]:
        try:
            with open(self.lease_dir(lease_id) / "workload.log", "rb") as log:
                log.seek(offset)
                data = log.read(1 << 20)
        except FileNotFoundError:
            return b"", offset
        return data, offset + len(data)

    def _last_line(self, lease_id: int) -> str:
        data, _ = self.read_logs(lease_id, None, 0)
        lines = data.decode(errors="replace").strip().splitlines()
        return lines[-1][:200] if lines else ""


def _pgid(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return None
