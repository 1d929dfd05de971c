"""A minimal Prometheus endpoint for tarjama's counters (stdlib only; read-only)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from tarjama.worker.metrics import Metrics, prometheus_text

if TYPE_CHECKING:
    from redis import Redis


def make_server(redis: Redis, address: str, port: int) -> ThreadingHTTPServer:
    metrics = Metrics(redis)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = prometheus_text(metrics.snapshot()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes every 15 s would flood the log

    return ThreadingHTTPServer((address, port), Handler)


def serve(redis: Redis, address: str, port: int) -> None:
    server = make_server(redis, address, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
