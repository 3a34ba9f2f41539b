"""A Docker Engine of the test session's own: Debian's `dockerd`, started by PID with its sockets
and data under a temporary directory, stopped by that PID at the end. No bridge network and no
iptables rules are made (containers use the host's network), and no image is ever pulled: the
test image is built `FROM scratch` around Debian's static busybox."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import DockerException

BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static
IMAGE = "leasehold-busybox:test"
START_TIMEOUT_SECONDS = 60.0


@dataclass
class Engine:
    process: subprocess.Popen
    root: Path
    image: str = ""

    @property
    def url(self) -> str:
        return f"unix://{self.root / 'docker.sock'}"

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url)


def start_engine() -> Engine:
    missing = [
        name for name, found in (("dockerd", shutil.which("dockerd")), ("busybox", BUSYBOX.exists())) if not found
    ]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: `make test` installs docker.io and busybox-static")
    root = Path(tempfile.mkdtemp(prefix="lh-dockerd-"))  # short: unix socket paths are limited to 108 bytes
    # The child keeps its own copy of the log's descriptor: ours closes once it is started.
    with open(root / "dockerd.log", "wb") as log:
        process = subprocess.Popen(
            [
                "dockerd",
                "--host",
                f"unix://{root / 'docker.sock'}",
                "--data-root",
                str(root / "data"),
                "--exec-root",
                str(root / "exec"),
                "--pidfile",
                str(root / "docker.pid"),
                "--bridge=none",
                "--iptables=false",
                "--ip-masq=false",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    engine = Engine(process, root)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            engine.client().ping()
            break
        except DockerException:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_engine(engine)
                raise RuntimeError(f"dockerd did not start: see {root / 'dockerd.log'}") from None
            time.sleep(0.2)  # wall clock: the daemon is starting
    return engine


def build_test_image(engine: Engine) -> str:
    context = engine.root / "image"
    (context / "www").mkdir(parents=True)
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "www" / "index.html").write_text("hello from a leased container\n")
    (context / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n")
    engine.client().images.build(path=str(context), tag=IMAGE, rm=True, pull=False)
    return IMAGE


def stop_engine(engine: Engine) -> None:
    """Stops dockerd by its PID (SIGTERM, then SIGKILL) and removes its directory."""
    if engine.process.poll() is None:
        engine.process.terminate()
        try:
            engine.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engine.process.kill()
            engine.process.wait(timeout=10)
    # What dockerd leaves mounted under its directories (its network namespace, overlay layers).
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(str(engine.root))]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    shutil.rmtree(engine.root, ignore_errors=True)
