"""Request and response tracing for `--trace` (text on stderr) and `--trace-file` (HAR 1.2).

The recorder collects raw exchanges through the transport hooks while a run goes on, and writes
them when the run ends, once every secret of the run is known. So every line it prints passes
through the run's final redactor, including secrets learned after the exchange was recorded.
Values at the spec's `log.sanitize` paths and credential headers are masked whatever their
content. Each redirect hop is its own exchange, and a request that failed in the transport is
kept with its error.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from . import __version__
from .redact import CREDENTIAL_HEADERS, MASK, Redactor, SanitizeRule, rule_for, sanitize_rules

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
    """Collect exchanges through transport hooks; print and save them when the run ends.

    `stream` receives the text trace (`--trace`), `har_path` the HAR 1.2 file (`--trace-file`).
    Pass `on_request`, `on_response` and `on_error` as the hooks of the run.
    """

    def __init__(self, *, stream: TextIO | None = None, har_path: str | None = None) -> None:
        self.stream = stream
        self.har_path = har_path
        self.exchanges: list[Exchange] = []

    # Hooks called by the transport (on_request, on_response) and by the API (on_error).

    def on_request(self, request: Any) -> None:
        """Start an exchange for one hop of a request."""
        self.exchanges.append(Exchange(request, datetime.now(UTC), time.monotonic()))

    def on_response(self, request: Any, response: Any) -> None:
        """Complete the open exchange of `request` with its response."""
        exchange = self._open_exchange(request)
        if exchange is None:
            return
        exchange.response = response
        exchange.elapsed_s = time.monotonic() - exchange.started_clock

    def on_error(self, request: Any, error: BaseException) -> None:
        """Record a transport failure on the last open exchange, or as a new one.

        A failure before the first hop was sent (an invalid URL, say) has no open exchange, so
        one is created for `request`.
        """
        exchange = self._open_exchange(None)
        if exchange is None:
            exchange = Exchange(request, datetime.now(UTC), time.monotonic())
            self.exchanges.append(exchange)
        exchange.error = str(error)
        exchange.elapsed_s = time.monotonic() - exchange.started_clock

    def _open_exchange(self, request: Any) -> Exchange | None:
        for exchange in reversed(self.exchanges):
            is_open = exchange.response is None and exchange.error is None
            if is_open and (request is None or exchange.request is request):
                return exchange
        return None

    # Output.

    def finish(self, redactor: Redactor, spec: Any) -> None:
        """Write the collected exchanges, redacted, to the stream and the HAR file."""
        rules = sanitize_rules(getattr(spec, "requests", []) or [])
        views = [self._view(exchange, redactor, rules) for exchange in self.exchanges]
        if self.stream is not None:
            for view in views:
                self._print(view)
        if self.har_path:
            self._write_har(views)

    def _view(self, exchange: Exchange, redactor: Redactor, rules: dict[str, SanitizeRule]) -> dict[str, Any]:
        request = exchange.request
        rule = rule_for(rules, getattr(request, "request_id", ""))

        def header_value(name: str, value: str, extra: set[str]) -> str:
            if name.lower() in CREDENTIAL_HEADERS or name.lower() in extra:
                return MASK
            return redactor.text(value)

        parts = urlsplit(request.url)
        query = [
            (redactor.text(key), MASK if key in rule.qs else redactor.text(value))
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        query_text = "&".join(f"{quote(k, safe='*')}={quote(v, safe='*')}" for k, v in query)
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port is not None:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, redactor.text(parts.path), query_text, ""))
        body = (request.body or b"").decode("utf-8", errors="replace")
        view: dict[str, Any] = {
            "started": exchange.started,
            "elapsed_ms": round(exchange.elapsed_s * 1000, 1),
            "method": request.method,
            "url": url,
            "query": query,
            "request_headers": [(n, header_value(n, v, rule.headers)) for n, v in request.headers],
            "request_body": redactor.text(_mask_json_paths(body, rule.request_body)),
            "request_size": len(request.body or b""),
            "error": redactor.text(exchange.error) if exchange.error else None,
        }
        response = exchange.response
        if response is not None:
            text = response.body.decode("utf-8", errors="replace")
            location = next((v for n, v in response.headers if n.lower() == "location"), "")
            view.update(
                status=response.status,
                reason=response.reason,
                response_headers=[(n, header_value(n, v, set())) for n, v in response.headers],
                response_body=redactor.text(_mask_json_paths(text, rule.response_body)),
                response_size=len(response.body),
                redirect_url=redactor.text(location) if 300 <= response.status < 400 else "",
            )
        return view

    def _print(self, view: dict[str, Any]) -> None:
        assert self.stream is not None
        write = self.stream.write
        write(f"> {view['method']} {view['url']}\n")
        for name, value in view["request_headers"]:
            write(f"> {name}: {value}\n")
        if view["request_body"]:
            write(f"> {_excerpt(view['request_body'])}\n")
        if view["error"]:
            write(f"! {view['error']} ({view['elapsed_ms']} ms)\n")
        elif "status" in view:
            write(f"< {view['status']} {view['reason']} ({view['elapsed_ms']} ms)\n")
            for name, value in view["response_headers"]:
                write(f"< {name}: {value}\n")
            if view["response_body"]:
                write(f"< {_excerpt(view['response_body'])}\n")
        else:
            write("! no response was received\n")
        write("\n")
        self.stream.flush()

    def _write_har(self, views: list[dict[str, Any]]) -> None:
        har = {
            "log": {
                "version": "1.2",
                "creator": {"name": "imlconnect", "version": __version__},
                "entries": [_har_entry(view) for view in views],
            }
        }
        assert self.har_path is not None
        directory = os.path.dirname(os.path.abspath(self.har_path))
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".trace-", suffix=".har")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(har, handle, ensure_ascii=False, indent=2)
        os.replace(temporary, self.har_path)


def _excerpt(text: str) -> str:
    if len(text) <= BODY_EXCERPT:
        return text
    return f"{text[:BODY_EXCERPT]}... ({len(text) - BODY_EXCERPT} more characters)"


def _har_entry(view: dict[str, Any]) -> dict[str, Any]:
    """Build one HAR 1.2 entry. Header sizes are unknown (-1) because httpcore does not report them."""
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
        "bodySize": view["request_size"],
    }
    if view["request_body"]:
        har_request["postData"] = {"mimeType": content_type, "text": view["request_body"]}
    if "status" in view:
        mime = next((v for n, v in view["response_headers"] if n.lower() == "content-type"), "")
        har_response: dict[str, Any] = {
            "status": view["status"],
            "statusText": view["reason"],
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": n, "value": v} for n, v in view["response_headers"]],
            "content": {"size": view["response_size"], "mimeType": mime, "text": view["response_body"]},
            "redirectURL": view["redirect_url"],
            "headersSize": -1,
            "bodySize": view["response_size"],
        }
    else:
        # HAR 1.2 has no field for a failed request, so the entry gets status 0 and the reason
        # goes in `_error`, because HAR allows custom fields whose names start with `_`.
        har_response = {
            "status": 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": view["error"] or "no response was received",
        }
    return {
        "startedDateTime": view["started"].isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": view["elapsed_ms"],
        "request": har_request,
        "response": har_response,
        "cache": {},
        # NOTE: the transport reports one duration per hop, so all of it is counted as `wait`.
        "timings": {"send": 0, "wait": view["elapsed_ms"], "receive": 0},
    }
