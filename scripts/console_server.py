"""Serves the built web console (console/dist) and its /leasehold.json from Python, for the demo.

The console reads `{rpcUrl, orderBookUrl, deployment, devAccounts}` from /leasehold.json
(docs/dapp.md); `make console` serves the same from Node on a fresh devnet.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from keepers.devchain import REPO_ROOT

CONSOLE_DIST = REPO_ROOT / "console" / "dist"


class _Handler(SimpleHTTPRequestHandler):
    config_body: bytes = b"{}"

    def log_message(self, *args) -> None:  # the demo prints its own lines
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/leasehold.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.config_body)))
            self.end_headers()
            self.wfile.write(self.config_body)
            return
        super().do_GET()


class ConsoleServer:
    """console/dist on 127.0.0.1:`port` (0: a free one) with `config` as /leasehold.json, in a thread."""

    def __init__(self, config: dict, port: int = 0, dist: Path = CONSOLE_DIST) -> None:
        if not (dist / "index.html").is_file():
            raise FileNotFoundError(f"{dist}/index.html is missing: build the console (make console/dist/index.html)")
        handler = type("Handler", (_Handler,), {"config_body": json.dumps(config).encode()})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(dist)))
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> ConsoleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)
