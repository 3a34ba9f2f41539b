"""A fault-injecting JSON-RPC proxy on loopback, in front of a real node.

Requests pass through unchanged until a fault is armed: `arm(kind, times, methods)`
makes the next `times` matching requests fail that way. `max_log_blocks` makes the
proxy refuse every `eth_getLogs` wider than that many blocks with the JSON-RPC error
public endpoints use. Everything injected is counted in `injected` (by kind) so a test
can compare what the keeper reported with what really happened.

Fault kinds:
- `drop`: the connection is closed before the request reaches the node;
- `drop_answer`: the node executes the request, the answer is lost on the way back
  (a `sendRawTransaction` is then really sent, which the client cannot know);
- `timeout`: the connection is held without an answer for `hold_seconds`, then closed;
- `http_500`, `http_502`, `http_503`: an HTTP error from a load balancer in front of the node;
- `http_413`: "payload too large", how some gateways refuse a wide `eth_getLogs`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULT_KINDS = ("drop", "drop_answer", "timeout", "http_413", "http_500", "http_502", "http_503")
RANGE_REFUSAL = {"code": -32005, "message": "query returned more than 10000 results, block range too large"}


@dataclass
class _Armed:
    kind: str
    remaining: int
    methods: frozenset[str] | None


class FaultProxy:
    """Forwards to `upstream_url`; start() binds a free port on 127.0.0.1."""

    def __init__(self, upstream_url: str, *, hold_seconds: float = 2.0) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname, parts.port)
        self.hold_seconds = hold_seconds
        self.max_log_blocks: int | None = None
        self.injected: Counter = Counter()
        self.forwarded: Counter = Counter()
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def arm(self, kind: str, times: int = 1, methods: tuple[str, ...] | None = None) -> None:
        """The next `times` requests (of `methods`, or any) fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind}")
        with self._lock:
            self._armed.append(_Armed(kind, times, frozenset(methods) if methods else None))

    def armed(self) -> int:
        """Faults still waiting for a request to hit."""
        with self._lock:
            return sum(armed.remaining for armed in self._armed)

    def _take_fault(self, method: str | None) -> str | None:
        with self._lock:
            for armed in self._armed:
                if armed.remaining and (armed.methods is None or method in armed.methods):
                    armed.remaining -= 1
                    self.injected[armed.kind] += 1
                    return armed.kind
        return None

    def _refuses(self, method: str | None, request) -> bool:
        if method != "eth_getLogs" or self.max_log_blocks is None:
            return False
        query = request["params"][0]
        span = self._block(query.get("toBlock", "latest")) - self._block(query.get("fromBlock", "latest")) + 1
        if span > self.max_log_blocks:
            with self._lock:
                self.injected["getlogs_refused"] += 1
            return True
        return False

    def _block(self, tag: str) -> int:
        if isinstance(tag, str) and tag.startswith("0x"):
            return int(tag, 16)
        _, body = self._forward(
            json.dumps({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []}).encode()
        )
        return int(json.loads(body)["result"], 16)

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    request = json.loads(body)
                except ValueError:
                    request = None
                method = request.get("method") if isinstance(request, dict) else None
                fault = proxy._take_fault(method)
                if fault == "drop":
                    return self._drop()
                if fault == "timeout":
                    proxy._stopping.wait(proxy.hold_seconds)
                    return self._drop()
                if fault and fault.startswith("http_"):
                    return self._reply(int(fault[5:]), b"upstream unavailable\n", "text/plain")
                if isinstance(request, dict) and proxy._refuses(method, request):
                    answer = {"jsonrpc": "2.0", "id": request.get("id"), "error": RANGE_REFUSAL}
                    return self._reply(200, json.dumps(answer).encode(), "application/json")
                try:
                    status, answer = proxy._forward(body)
                except OSError:
                    return self._reply(502, b"node unreachable\n", "text/plain")
                with proxy._lock:
                    proxy.forwarded[method] += 1
                if fault == "drop_answer":
                    return self._drop()
                self._reply(status, answer, "application/json")

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args) -> None:
                """The proxy's counters are its record; no line per request."""

        return Handler
