"""The small HTTP service every demo rental runs (and the delivery tests launch).

Listens on $PORT; answers `GET /` with the lease id and the GPU devices it was given, only to a
request carrying `Authorization: Bearer $LEASEHOLD_CREDENTIAL` (401 otherwise); one log line
per request on stdout. Standard library only: the process backend runs it with any Python.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        authorized = self.headers.get("Authorization") == f"Bearer {os.environ['LEASEHOLD_CREDENTIAL']}"
        body = {
            "lease_id": os.environ["LEASEHOLD_LEASE_ID"],
            "devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
            "greeting": os.environ.get("GREETING", ""),
            "secret_set": bool(os.environ.get("API_TOKEN")),
        }
        data = json.dumps(body if authorized else {"error": "unauthorized"}).encode()
        self.send_response(200 if authorized else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    print(f"serving lease {os.environ['LEASEHOLD_LEASE_ID']} on port {os.environ['PORT']}", flush=True)
    sys.stdout.flush()
    server.serve_forever()
