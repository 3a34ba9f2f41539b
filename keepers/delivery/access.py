"""The provider agent's access server: the one URL a provider advertises once it delivers.

    GET  /health                 the agent's health (as its metrics server says), for the prober
    GET  /delivery/key           the provider's address, its X25519 public key and its backend
    POST /leases/<id>/deploy     a tenant-signed manifest: launched, answered with the access
    POST /leases/<id>/access     a tenant-signed request: the endpoints and the lease's credential
    POST /leases/<id>/logs       a tenant-signed request: the workload's output (`follow`: until it ends)

Every answer allows any origin (CORS), so a web page such as the console can call it from the
tenant's browser: nothing is given without the lease's tenant's signature, so the origin adds no
protection (docs/delivery.md). A refusal is answered as `{"error": "<one line>"}` with a 4xx status
and logged with the lease.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.manager import MAX_BODY_BYTES, DeliveryManager

_LEASE_PATH = re.compile(r"^/leases/(\d{1,20})/(deploy|access|logs)$")


class AccessServer:
    def __init__(
        self,
        manager: DeliveryManager,
        host: str,
        port: int,
        *,
        public_key: str,
        health: Callable[[], tuple[int, dict]],
        log,
    ) -> None:
        self.manager = manager
        self.public_key = public_key
        self.health = health
        self.log = log
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="access-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AccessServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.manager.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked log streams; every other answer has a length

            def do_OPTIONS(self) -> None:
                """The browser's preflight before a cross-origin POST with a JSON body."""
                self.send_response(204)
                self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Max-Age", "600")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def end_headers(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                super().end_headers()

            def do_GET(self) -> None:
                if self.path == "/health":
                    status, body = server.health()
                    self._json(status, body)
                elif self.path == "/delivery/key":
                    self._json(
                        200,
                        {
                            "provider": server.manager.provider,
                            "public_key": server.public_key,
                            "backend": server.manager.backend.name,
                        },
                    )
                else:
                    self._json(404, {"error": f"no such path {self.path}"})

            def do_POST(self) -> None:
                match = _LEASE_PATH.match(self.path)
                if match is None:
                    self._json(404, {"error": f"no such path {self.path}"})
                    return
                lease_id, action = int(match.group(1)), match.group(2)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._json(413, {"error": f"delivery error: body larger than {MAX_BODY_BYTES} bytes"})
                    return
                body = self.rfile.read(length)
                try:
                    if action == "logs":
                        self._stream(server.manager.logs(lease_id, body))
                        return
                    answer = getattr(server.manager, action)(lease_id, body)
                except DeliveryRefused as refusal:
                    server.manager.refused.labels(action).inc()
                    server.log.warning(
                        "delivery request refused",
                        extra={
                            "event": "delivery_refused",
                            "action": action,
                            "lease_id": lease_id,
                            "error": str(refusal),
                        },
                    )
                    self._json(refusal.status, {"error": str(refusal)})
                    return
                except Exception as error:  # never a dead server: the tenant gets one line, the log the trace
                    server.log.exception(
                        "delivery request failed",
                        extra={"event": "delivery_failed", "action": action, "lease_id": lease_id},
                    )
                    self._json(500, {"error": f"delivery error: {type(error).__name__}: {error}"})
                    return
                self._json(200, answer)

            def _stream(self, chunks) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")  # each piece reaches the tenant as it is written
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the tenant stopped reading
                self.close_connection = True

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args) -> None:
                """Each refusal and launch is logged by the manager; requests are not worth a line each."""

        return Handler
