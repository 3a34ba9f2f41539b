"""Helpers of the delivery tests (imported by name: `from delivery_setup import ...`; the fixtures
are in conftest.py): the manifest of the small HTTP service the workloads run, offers, and polls.

Agents are set up but not scheduled: a test calls `agent.tick()` itself, so "within one poll"
is exactly one call, and chain time moves only with `chain.sleep`. Every workload an agent
started is torn down at the end of the test, so nothing is left running.
"""

import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "keepers"))

from keepers.delivery.manifest import parse_manifest
from keepers.devchain import REPO_ROOT

from protocol_setup import H100, HOUR, USD

SERVICE = REPO_ROOT / "scripts" / "delivery_service.py"
DATA = Path(__file__).resolve().parent / "data"
GPU_XML = DATA / "nvidia-smi-2xh100-1x4090.xml"


def service_manifest(**overrides):
    """The demo's HTTP service as a manifest for the process backend."""
    data = {"command": [sys.executable, str(SERVICE)], "ports": [{"name": "http"}], "env": {"GREETING": "hello"}}
    return parse_manifest({**data, **overrides})


def h100_offer(units=2):
    return {"gpu_model": H100, "units": units, "price_per_unit_hour": 2 * USD, "max_duration_seconds": 24 * HOUR}


def get(url, credential=None):
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return requests.get(url, headers=headers, timeout=10)


def pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(predicate, timeout=20.0):
    """Waits (wall clock) for another thread or process to act; chain time never moves here."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
