"""The sans-I/O flow driven by hand: responses are fed in, no socket is opened."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import imlconnect
from imlconnect.errors import TransportError
from imlconnect.flow import Outcome, RunInput, verification_flow
from imlconnect.http import WireRequest, WireResponse

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)


def load(tmp_path: Path, communication: Any, **extra: Any) -> Any:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"communication": communication, "parameters": [], **extra}))
    return imlconnect.load_connection(path)


def reply(status: int = 200, payload: Any = None, headers: list[tuple[str, str]] | None = None) -> WireResponse:
    body = b"" if payload is None else json.dumps(payload).encode()
    return WireResponse(status=status, reason="", headers=headers or [("Content-Type", "application/json")],
                        body=body, url="https://api.example.com/")


def drive(spec: Any, replies: list[WireResponse | TransportError], **run: Any) -> tuple[list[WireRequest], Outcome]:
    flow = verification_flow(RunInput(spec=spec, parameters=run.pop("parameters", {}), now=NOW, **run))
    sent: list[WireRequest] = []
    try:
        request = next(flow)
        while True:
            sent.append(request)
            request = flow.send(replies.pop(0))
    except StopIteration as done:
        return sent, done.value


def test_yields_requests_in_order(tmp_path: Path) -> None:
    spec = load(tmp_path, [{"url": "https://api.example.com/a"}, {"url": "https://api.example.com/b", "method": "POST"}])
    sent, outcome = drive(spec, [reply(), reply()])
    assert [(r.method, r.url) for r in sent] == [("GET", "https://api.example.com/a"), ("POST", "https://api.example.com/b")]
    assert outcome.ok
    assert outcome.requests_sent == 2


def test_stops_at_first_failure(tmp_path: Path) -> None:
    spec = load(tmp_path, [{"url": "https://api.example.com/a"}, {"url": "https://api.example.com/b"}])
    sent, outcome = drive(spec, [reply(401, {})])
    assert len(sent) == 1
    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.status) == ("RuntimeError", 401)


def test_transport_error_is_connection_error(tmp_path: Path) -> None:
    spec = load(tmp_path, {"url": "https://api.example.com/a"})
    _, outcome = drive(spec, [TransportError("connect", "Could not connect to api.example.com:443.")])
    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.message, outcome.error.status) == (
        "ConnectionError", "Could not connect to api.example.com:443.", None)


def test_now_is_injected(tmp_path: Path) -> None:
    spec = load(tmp_path, {"url": "https://api.example.com/a", "qs": {"t": "{{timestamp}}"},
                           "response": {"data": {"at": "{{now}}"}}})
    sent, outcome = drive(spec, [reply(200, {})])
    assert sent[0].url == "https://api.example.com/a?t=1714557600"
    assert outcome.data == {"at": NOW}


def test_data_starts_from_stored(tmp_path: Path) -> None:
    spec = load(tmp_path, {"url": "https://api.example.com/a", "headers": {"X-Old": "{{data.old}}"},
                           "response": {"data": {"new": "{{body.v}}"}}})
    sent, outcome = drive(spec, [reply(200, {"v": 2})], data={"old": "kept"})
    assert sent[0].header("X-Old") == "kept"
    assert outcome.data == {"old": "kept", "new": 2}


def test_common_visible_in_connection(tmp_path: Path) -> None:
    spec = load(tmp_path, {"url": "https://api.example.com/a", "headers": {"X-Salt": "{{common.salt}}"}})
    sent, _ = drive(spec, [reply()], common={"salt": "pepper"})
    assert sent[0].header("X-Salt") == "pepper"


def test_module_mode_hides_common(tmp_path: Path) -> None:
    spec = load(tmp_path, {"url": "https://api.example.com/a",
                           "headers": {"X-Salt": "{{common.salt}}", "X-Key": "{{connection.apiKey}}"}})
    sent, outcome = drive(spec, [reply(200, {"ok": 1})], common={"salt": "pepper"}, mode="module",
                          connection={"apiKey": "k1"})
    assert sent[0].header("X-Salt") is None
    assert sent[0].header("X-Key") == "k1"
    assert outcome.body == {"ok": 1}


def test_request_limit(tmp_path: Path) -> None:
    spec = load(tmp_path, [{"url": "https://api.example.com/a"}, {"url": "https://api.example.com/b"}])
    sent, outcome = drive(spec, [reply(), reply()], max_requests=1)
    assert len(sent) == 1
    assert outcome.error is not None
    assert "exceeded the limit of 1 requests" in outcome.error.message


def test_empty_communication_sends_nothing(tmp_path: Path) -> None:
    spec = load(tmp_path, {})
    sent, outcome = drive(spec, [])
    assert sent == []
    assert outcome.ok
