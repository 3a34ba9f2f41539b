"""docs/walkthrough.md runs as written: every ```sh block, in order, in one bash, as a newcomer would.

The only change: `leasehold dev up` gets a free port instead of 8545, which other chains on this
machine may hold. Whatever the page leaves running when it fails (keepers, Anvil) is stopped by the
PIDs it wrote.
"""

import contextlib
import json
import os
import re
import signal
import subprocess
from pathlib import Path

from keepers.devchain import REPO_ROOT, free_port

PAGE = REPO_ROOT / "docs" / "walkthrough.md"
BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
TIMEOUT_SECONDS = 600


def _stop(pid_file: Path, *, group: bool = False) -> None:
    try:
        pid = int(json.loads(pid_file.read_text())["pid"]) if group else int(pid_file.read_text())
    except (OSError, ValueError, KeyError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM) if group else os.kill(pid, signal.SIGTERM)


def test_the_walkthrough_runs_as_written(tmp_path):
    blocks = BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 6, "the page lost its shell blocks"
    script = "\n".join(blocks).replace("leasehold dev up\n", f"leasehold dev up --port {free_port()}\n")
    script = script.replace('export PATH="$PWD/.venv/bin:$PATH"', f'export PATH="{REPO_ROOT}/.venv/bin:$PATH"')
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    finally:
        for name in ("provider", "matcher", "settler"):
            _stop(tmp_path / ".leasehold-dev" / f"{name}.pid")
        _stop(tmp_path / ".leasehold-dev" / "dev.json", group=True)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    out = done.stdout
    assert "request 1 posted" in out and "job request 2 posted" in out
    assert re.search(r"lease 1 closed: provider paid [\d.]+ tUSD .*refunded [\d.]+ tUSD and the settle bounty", out)
    assert "FINALIZED" in out and "stopped Anvil" in out
    assert not (tmp_path / ".leasehold-dev" / "dev.json").exists()
