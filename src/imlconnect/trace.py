"""Request and response tracing for `--trace` (text on stderr) and `--trace-file` (HAR 1.2).

The recorder collects raw exchanges while a run goes on and writes them once the run's secrets
are all known, so every line it prints passes through the run's redactor. Values at the spec's
`log.sanitize` paths and credential headers are masked whatever their content.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import __version__
from .redact import CREDENTIAL_HEADERS, MASK, Redactor

BODY_EXCERPT = 2000


@dataclass
class Exchange:
    """One request and its response (or the error that ended it)."""

    request: Any
    started: datetime
    started_clock: float
    response: Any = None
    error: str | None = None
    elapsed_s: float = 0.0


@dataclass
class _Sanitize:
    headers: set[str] = field(default_factory=set)
    qs: set[str] = field(default_factory=set)
    request_body: set[str] = field(default_factory=set)
    response_body: set[str] = field(default_factory=set)


def _sanitize_rules(spec: Any) -> dict[str, _Sanitize]:
    """Map each request's JSON path to the `log.sanitize` paths it declares."""
    rules: dict[str, _Sanitize] = {}
    for request in getattr(spec, "requests", []) or []:
        rule = _Sanitize()
        for path in getattr(request, "log_sanitize", []) or []:
            parts = path.replace("`", "").split(".", 2)
            if len(parts) < 3:
                continue
            scope, kind, rest = parts
            if scope == "request" and kind == "headers":
                rule.headers.add(rest.lower())
            elif scope == "request" and kind == "qs":
                rule.qs.add(rest)
            elif scope == "request" and kind == "body":
                rule.request_body.add(rest)
            elif scope == "response" and kind == "body":
                rule.response_body.add(rest)
        rules[request.json_path] = rule
    return rules


def _mask_json_paths(text: str, paths: set[str]) -> str:
    if not paths or not text:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        return text
    for path in paths:
        node = document
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and keys[-1] in node:
            node[keys[-1]] = MASK
    return json.dumps(document, ensure_ascii=False)


class TraceRecorder:
    """Collect exchanges through transport hooks; print and save them when the run ends."""

    def __init__(self, *, stream: TextIO | None = None, har_path: str | None = None) -> None:
        self.stream = stream
        self.har_path = har_path
        self.exchanges: list[Exchange] = []

    # Hooks called by the transport.

    def on_request(self, request: Any, *_: Any) -> None:
        self.exchanges.append(Exchange(request, datetime.now(timezone.utc), time.monotonic()))

    def on_response(self, request: Any, response: Any = None, *_: Any) -> None:
        if response is None:  # called as on_response(response)
            request, response = None, request
        exchange = self._find(request)
        if exchange is None:
            return
        if isinstance(response, BaseException):
            exchange.error = str(response)
        else:
            exchange.response = response
        exchange.elapsed_s = time.monotonic() - exchange.started_clock

    def _find(self, request: Any) -> Exchange | None:
        for exchange in reversed(self.exchanges):
            if request is None or exchange.request is request:
                if exchange.response is None and exchange.error is None:
                    return exchange
        return self.exchanges[-1] if self.exchanges else None

    # Output.

    def finish(self, redactor: Redactor, spec: Any) -> None:
        """Write the collected exchanges, redacted, to the stream and the HAR file."""
        rules = _sanitize_rules(spec)
        views = [self._view(exchange, redactor, rules) for exchange in self.exchanges]
        if self.stream is not None:
            for view in views:
                self._print(view)
        if self.har_path:
            self._write_har(views)

    def _view(self, exchange: Exchange, redactor: Redactor, rules: dict[str, _Sanitize]) -> dict[str, Any]:
        request = exchange.request
        spec_path = str(getattr(request, "request_id", "")).split("#", 1)[0]
        rule = rules.get(spec_path, _Sanitize())

        def header_value(name: str, value: str, extra: set[str]) -> str:
            if name.lower() in CREDENTIAL_HEADERS or name.lower() in extra:
                return MASK
            return redactor.text(value)

        parts = urlsplit(request.url)
        query = [(k, MASK if k in rule.qs else redactor.text(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        url = urlunsplit((parts.scheme, parts.netloc, redactor.text(parts.path), urlencode(query), ""))
        body = (request.body or b"").decode("utf-8", errors="replace")
        view: dict[str, Any] = {
            "started": exchange.started,
            "elapsed_ms": round(exchange.elapsed_s * 1000, 1),
            "method": request.method,
            "url": url,
            "query": query,
            "request_headers": [(n, header_value(n, v, rule.headers)) for n, v in request.headers],
            "request_body": redactor.text(_mask_json_paths(body, rule.request_body)),
            "error": redactor.text(exchange.error) if exchange.error else None,
        }
        response = exchange.response
        if response is not None:
            text = response.body.decode("utf-8", errors="replace")
            view.update(
                status=response.status,
                reason=response.reason,
                response_headers=[(n, header_value(n, v, set())) for n, v in response.headers],
                response_body=redactor.text(_mask_json_paths(text, rule.response_body)),
                response_size=len(response.body),
            )
        return view

    def _print(self, view: dict[str, Any]) -> None:
        assert self.stream is not None
        write = self.stream.write
        write(f"> {view['method']} {view['url']}\n")
        for name, value in view["request_headers"]:
            write(f"> {name}: {value}\n")
        if view["request_body"]:
            write(f"> {view['request_body'][:BODY_EXCERPT]}\n")
        if view["error"]:
            write(f"! {view['error']} ({view['elapsed_ms']} ms)\n")
        elif "status" in view:
            write(f"< {view['status']} {view['reason']} ({view['elapsed_ms']} ms)\n")
            for name, value in view["response_headers"]:
                write(f"< {name}: {value}\n")
            if view["response_body"]:
                write(f"< {view['response_body'][:BODY_EXCERPT]}\n")
        write("\n")
        self.stream.flush()

    def _write_har(self, views: list[dict[str, Any]]) -> None:
        entries = []
        for view in views:
            request_headers = [{"name": n, "value": v} for n, v in view["request_headers"]]
            content_type = next((v for n, v in view["request_headers"] if n.lower() == "content-type"), "")
            har_request: dict[str, Any] = {
                "method": view["method"],
                "url": view["url"],
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": request_headers,
                "queryString": [{"name": k, "value": v} for k, v in view["query"]],
                "headersSize": -1,
                "bodySize": len(view["request_body"].encode("utf-8")),
            }
            if view["request_body"]:
                har_request["postData"] = {"mimeType": content_type, "text": view["request_body"]}
            if "status" in view:
                mime = next((v for n, v in view["response_headers"] if n.lower() == "content-type"), "")
                har_response = {
                    "status": view["status"],
                    "statusText": view["reason"],
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": [{"name": n, "value": v} for n, v in view["response_headers"]],
                    "content": {"size": view["response_size"], "mimeType": mime, "text": view["response_body"]},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": view["response_size"],
                }
            else:
                har_response = {
                    "status": 0, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
                    "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1,
                    "bodySize": -1, "_error": view["error"],
                }
            entries.append({
                "startedDateTime": view["started"].isoformat().replace("+00:00", "Z"),
                "time": view["elapsed_ms"],
                "request": har_request,
                "response": har_response,
                "cache": {},
                "timings": {"send": 0, "wait": view["elapsed_ms"], "receive": 0},
            })
        har = {"log": {"version": "1.2", "creator": {"name": "imlconnect", "version": __version__}, "entries": entries}}
        assert self.har_path is not None
        directory = os.path.dirname(os.path.abspath(self.har_path))
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".trace-", suffix=".har")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(har, handle, ensure_ascii=False, indent=2)
        os.replace(temporary, self.har_path)
