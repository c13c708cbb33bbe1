"""A small sample API on 127.0.0.1 that the demo connection verifies against.

It accepts one API key (`GOOD_KEY`). `POST /v1/session` trades the key for a session token;
`GET /v1/me` returns the account of a valid token. It answers like a real JSON API, with 401 for
a wrong key and 404 for unknown paths.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_KEY = "demo-key-7f3a9c2e"
ACCOUNT = {"id": 4217, "email": "ada@acme-notes.example", "name": "Ada", "plan": "pro", "active": True}


class SampleApi:
    """Run the sample API in a background thread; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.tokens: set[str] = set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep the demo output clean
                pass

            def _send(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.path != "/v1/session":
                    self._send(404, {"error": {"message": "Not found"}})
                    return
                try:
                    key = json.loads(raw or b"{}").get("apiKey")
                except ValueError:
                    self._send(400, {"error": {"message": "Body must be JSON"}})
                    return
                if key != GOOD_KEY:
                    self._send(401, {"error": {"message": "Invalid API key"}})
                    return
                token = "sess_" + secrets.token_hex(12)
                owner.tokens.add(token)
                self._send(200, {"token": token, "expires_in": 3600})

            def do_GET(self) -> None:
                if self.path != "/v1/me":
                    self._send(404, {"error": {"message": "Not found"}})
                    return
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ")
                if token not in owner.tokens:
                    self._send(401, {"error": {"message": "Invalid or expired session"}})
                    return
                self._send(200, ACCOUNT)

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> SampleApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
