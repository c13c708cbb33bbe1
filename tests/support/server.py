"""A real HTTP server on 127.0.0.1 for tests: answers from a script and records every request."""

from __future__ import annotations

import gzip as gzip_module
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """A scripted answer. `json` sets a JSON body with its Content-Type; `delay` stalls first."""

    status: int = 200
    json: Any = None
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    delay: float = 0.0


Route = Callable[[Recorded], Reply]


class ApiServer:
    """Serve scripted replies: by route `(METHOD, path)`, else the queue, else 404."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.routes: dict[tuple[str, str], Route | Reply] = {}
        self.queue: list[Reply] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(self.command, parts.path, parts.query, list(self.headers.items()), body)
                with owner._lock:
                    owner.requests.append(recorded)
                reply = owner._reply_for(recorded)
                if reply.delay:
                    threading.Event().wait(reply.delay)
                payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                headers = dict(reply.headers)
                if reply.json is not None:
                    payload = json.dumps(reply.json).encode()
                    headers.setdefault("Content-Type", "application/json")
                if reply.gzip:
                    payload = gzip_module.compress(payload)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value.replace("@BASE@", owner.url))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _reply_for(self, recorded: Recorded) -> Reply:
        with self._lock:
            route = self.routes.get((recorded.method, recorded.path))
            if route is None and self.queue:
                return self.queue.pop(0)
        if route is None:
            return Reply(404, json={"error": "no route"})
        return route(recorded) if callable(route) else route

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
