"""The HTTP server under every fake provider API (BitPay, PayPal, WooCommerce REST, the processors' APIs): a real
server on 127.0.0.1 at a free port, in a daemon thread, each request answered by a plain function."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Answer = tuple[int, bytes]
# (method, path, query, headers with lower-case names, body) -> (status, JSON body)
Answerer = Callable[[str, str, str, dict[str, str], bytes], Answer]


def serve(answer: Answerer, content_type: str = "application/json") -> tuple[str, ThreadingHTTPServer]:
    """Start the server; return its base URL ("http://127.0.0.1:PORT") and the server (for `stop`)."""

    class Handler(BaseHTTPRequestHandler):
        def _do(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, data = answer(self.command, parts.path, parts.query,
                                  {k.lower(): v for k, v in self.headers.items()}, body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout tests)
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _do

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
