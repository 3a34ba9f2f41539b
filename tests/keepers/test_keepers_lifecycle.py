import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from keepers.config import ChainConfig, KeeperConfig, MetricsConfig
from keepers.lifecycle import Keeper

REPO = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout=10.0):
    """Waits for another thread's progress (not chain time) and fails the test if it never comes."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def keeper_config(anvil, **chain):
    return KeeperConfig(chain=ChainConfig(rpc_url=anvil.url, chain_id=31337, **chain), metrics=MetricsConfig(port=0))


class SlowKeeper(Keeper):
    role = "slow"

    def __init__(self, config):
        super().__init__(config)
        self.release = threading.Event()
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def setup(self):
        self.add_job("slow", self.work, 0.05)

    def work(self):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.release.wait(timeout=10)
        with self._lock:
            self.active -= 1


class FailingKeeper(Keeper):
    role = "failing"

    def setup(self):
        self.add_job("fail", self.work, 0.05)

    def work(self):
        raise RuntimeError("boom")


def test_slow_job_never_overlaps_itself(anvil):
    keeper = SlowKeeper(keeper_config(anvil))
    keeper.start()
    try:
        wait_until(lambda: keeper.metrics.value("job_skipped_total", {"job": "slow"}) >= 2)
        keeper.release.set()
        wait_until(lambda: keeper.metrics.value("job_runs_total", {"job": "slow"}) >= 1)
    finally:
        keeper.release.set()
        keeper.stop()
    assert keeper.max_active == 1


def test_failing_run_is_counted_and_the_keeper_goes_on(anvil):
    keeper = FailingKeeper(keeper_config(anvil))
    keeper.start()
    try:
        wait_until(lambda: keeper.metrics.value("job_failures_total", {"job": "fail"}) >= 2)
        assert keeper.scheduler.running
    finally:
        keeper.stop()


class HoldingProxy:
    """An RPC proxy that holds the first eth_getBlockByNumber until released: a job caught in flight."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.held = threading.Event()
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if json.loads(body).get("method") == "eth_getBlockByNumber" and not proxy.held.is_set():
                    proxy.held.set()
                    proxy.release.wait(timeout=30)
                request = urllib.request.Request(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = response.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_sigterm_lets_the_run_in_flight_finish_and_exits_zero(anvil, tmp_path):
    with HoldingProxy(anvil.url) as proxy:
        config = tmp_path / "keeper.toml"
        config.write_text(
            f'[chain]\nrpc_url = "{proxy.url}"\nchain_id = 31337\npoll_interval_seconds = 60\n'
            f'[metrics]\nport = 0\n[transactions]\nstate_dir = "{tmp_path / "state"}"\n'
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "keepers.cli", "keeper", "run", "heartbeat", "--config", str(config)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
        reader.start()
        try:
            assert proxy.held.wait(timeout=60), "the heartbeat never asked for the head block"
            process.send_signal(signal.SIGTERM)
            events = []
            while "stop_requested" not in events:
                events.append(json.loads(lines.get(timeout=20))["event"])
            proxy.release.set()
            assert process.wait(timeout=30) == 0
            reader.join(timeout=5)
            while not lines.empty():
                events.append(json.loads(lines.get())["event"])
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()
    assert events.index("stop_requested") < events.index("heartbeat") < events.index("keeper_stopped")
