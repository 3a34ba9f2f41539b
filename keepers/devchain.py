"""A local Anvil chain started and stopped by PID.

Used by the test suite (through tests/conftest.py), the gas script and the
local market demo. Anvil comes from the pinned npm package
`@foundry-rs/anvil-linux-amd64`; nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ANVIL_BINARY = REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
HARDFORK = "cancun"  # matches evm_version in brownie-config.yaml


class DevChainError(RuntimeError):
    """Anvil is missing, did not start, or did not answer."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Anvil:
    """One Anvil process on 127.0.0.1. Use as a context manager or call start/stop."""

    port: int = 0
    accounts: int = 10
    balance_eth: int = 1_000_000
    base_fee_wei: int = 0
    block_time: float | None = None
    state_path: Path | None = None
    log_path: Path | None = None  # Anvil's stderr goes here instead of a pipe: for an Anvil that outlives us
    # Where Anvil writes the historical states it moves out of memory (`--cache-path`). Anvil never deletes them:
    # left to its default, ~/.foundry/anvil/tmp, they grew to 75 GB over a day of tests and benchmarks and filled
    # the disk. None: a fresh temporary directory, removed by `stop`; a path given here is its owner's to remove
    # (`leasehold dev down` removes the one `dev up` gives, beside its log).
    cache_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    _owned_cache: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        command = [
            str(ANVIL_BINARY),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_eth),
            "--base-fee",
            str(self.base_fee_wei),
            "--gas-limit",
            "30000000",
            "--hardfork",
            HARDFORK,
            "--silent",
        ]
        if self.block_time is not None:
            command += ["--block-time", str(self.block_time)]
        if self.state_path is not None:
            command += ["--state", str(self.state_path)]
        cache = self.cache_path or self._owned_cache
        if cache is not None:
            command += ["--cache-path", str(cache)]
        return command + self.extra_args

    def start(self, timeout_seconds: float = 10.0) -> Anvil:
        if not ANVIL_BINARY.is_file():
            raise DevChainError(f"anvil not found at {ANVIL_BINARY}: run `make install` first")
        if self.port == 0:
            self.port = free_port()
        if self.cache_path is None and self._owned_cache is None:
            self._owned_cache = Path(tempfile.mkdtemp(prefix="leasehold-anvil-cache-"))
        log = open(self.log_path, "wb") if self.log_path is not None else None  # noqa: SIM115 (Anvil writes it)
        try:
            self.process = subprocess.Popen(
                self.command(), stdout=subprocess.DEVNULL, stderr=log or subprocess.PIPE, start_new_session=True
            )
        finally:
            if log is not None:
                log.close()  # Anvil holds its own descriptor
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if self.log_path is not None:
                    error = self.log_path.read_text(errors="replace").strip()
                else:
                    error = self.process.stderr.read().decode(errors="replace").strip() if self.process.stderr else ""
                code = self.process.returncode
                self.stop()  # its stderr pipe closed, its cache directory removed
                raise DevChainError(f"anvil exited with code {code}: {error}")
            try:
                self.rpc("eth_chainId")
                return self
            except OSError:
                time.sleep(0.05)  # waiting for a process to bind its port, not for chain time
        self.stop()
        raise DevChainError(f"anvil did not answer on {self.url} within {timeout_seconds} s")

    def rpc(self, method: str, params: list | None = None):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise DevChainError(f"{method}: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        """Stops the process this object started, by its PID, and waits for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None
        if self._owned_cache is not None:
            shutil.rmtree(self._owned_cache, ignore_errors=True)
            self._owned_cache = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
