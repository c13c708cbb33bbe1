"""`--trace` on stderr and the `--trace-file` HAR 1.2 document: complete, redacted, one entry per hop."""

from __future__ import annotations

import io
import json
import re
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from support.server import ApiServer, Reply

import imlconnect.api as engine
from imlconnect.redact import MASK, Redactor
from imlconnect.trace import BODY_EXCERPT, TraceRecorder
from security.canary import run_cli

KEY = "sk-trace-5b2c9e0f41"
PARAMETERS = [{"name": "apiKey", "type": "password", "required": True}, {"name": "account", "type": "text"}]


def write_spec(tmp_path: Path, communication: Any) -> str:
    path = tmp_path / "trace.json"
    path.write_text(json.dumps({"communication": communication, "parameters": PARAMETERS}))
    return str(path)


def traced_verify(path: str, values: dict[str, Any], tmp_path: Path) -> tuple[Any, str, dict[str, Any]]:
    """Verify through the API with a trace recorder; return the result, the text trace and the HAR."""
    stream = io.StringIO()
    har_path = tmp_path / "run.har"
    recorder = TraceRecorder(stream=stream, har_path=str(har_path))
    result = engine.verify(path, values, allow_private_network=True, on_request=recorder.on_request,
                           on_response=recorder.on_response, on_error=recorder.on_error)
    recorder.finish(result.redactor, engine.load_connection(path))
    return result, stream.getvalue(), json.loads(har_path.read_text(encoding="utf-8"))


def check_har_entry(entry: dict[str, Any]) -> None:
    """Assert the fields that HAR 1.2 requires of an entry, with their types."""
    started = datetime.fromisoformat(entry["startedDateTime"])
    assert started.tzinfo is not None
    assert isinstance(entry["time"], (int, float))
    assert entry["time"] >= 0
    assert entry["cache"] == {}
    timings = entry["timings"]
    for phase in ("send", "wait", "receive"):
        assert timings[phase] >= 0, phase
    assert abs(sum(timings[phase] for phase in ("send", "wait", "receive")) - entry["time"]) < 0.01

    request = entry["request"]
    assert isinstance(request["method"], str)
    assert "://" in request["url"]
    assert request["httpVersion"] == "HTTP/1.1"
    assert request["cookies"] == []
    for item in request["headers"] + request["queryString"]:
        assert set(item) == {"name", "value"}
    assert request["headersSize"] == -1
    assert isinstance(request["bodySize"], int)

    response = entry["response"]
    assert isinstance(response["status"], int)
    assert isinstance(response["statusText"], str)
    assert response["httpVersion"] == "HTTP/1.1"
    assert response["cookies"] == []
    assert isinstance(response["headers"], list)
    assert isinstance(response["content"]["size"], int)
    assert isinstance(response["content"]["mimeType"], str)
    assert isinstance(response["redirectURL"], str)
    assert response["headersSize"] == -1
    assert isinstance(response["bodySize"], int)


def check_har(har: dict[str, Any]) -> list[dict[str, Any]]:
    log = har["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "imlconnect"
    assert isinstance(log["creator"]["version"], str)
    for entry in log["entries"]:
        check_har_entry(entry)
    return list(log["entries"])


def test_trace_prints_every_exchange(api: ApiServer, tmp_path: Path) -> None:
    api.queue.extend([Reply(json={"id": 1}, headers={"X-Request-Id": "abc"}), Reply(json={"name": "Ada"})])
    path = write_spec(tmp_path, [
        {"url": f"{api.url}/first", "method": "POST", "headers": {"Authorization": "Bearer {{parameters.apiKey}}"},
         "body": {"hello": "world"}},
        {"url": f"{api.url}/second", "qs": {"page": "2"}},
    ])
    result, text, _ = traced_verify(path, {"apiKey": KEY}, tmp_path)

    assert result.ok
    assert f"> POST {api.url}/first" in text
    assert f"> GET {api.url}/second?page=2" in text
    assert f"> Authorization: {MASK}" in text
    assert '> {"hello":"world"}' in text
    assert "< x-request-id: abc" in text.lower()
    assert '< {"name": "Ada"}' in text
    assert len(re.findall(r"^< 200 OK \(\d+(\.\d+)? ms\)$", text, flags=re.MULTILINE)) == 2
    assert KEY not in text


def test_trace_body_excerpt(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(body="y" * (BODY_EXCERPT + 500), headers={"Content-Type": "text/plain"}))
    path = write_spec(tmp_path, {"url": f"{api.url}/long"})
    _, text, har = traced_verify(path, {"apiKey": KEY}, tmp_path)
    assert "y" * BODY_EXCERPT + "... (500 more characters)" in text
    assert len(har["log"]["entries"][0]["response"]["content"]["text"]) == BODY_EXCERPT + 500


def test_har_is_valid(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={"ok": True}, headers={"Set-Cookie": "sid=cookie-value-77; Path=/"}))
    path = write_spec(tmp_path, {"url": f"{api.url}/me", "method": "PUT", "qs": {"account": "{{parameters.account}}"},
                                 "body": {"a": 1}, "log": {"sanitize": ["request.qs.account"]}})
    _, _, har = traced_verify(path, {"apiKey": KEY, "account": "acct-secret-9"}, tmp_path)
    entries = check_har(har)
    assert len(entries) == 1

    request = entries[0]["request"]
    assert request["method"] == "PUT"
    assert request["queryString"] == [{"name": "account", "value": MASK}]
    assert "acct-secret-9" not in request["url"]
    assert request["postData"]["text"] == '{"a":1}'
    assert request["bodySize"] == len(b'{"a":1}')

    response = entries[0]["response"]
    assert response["status"] == 200
    assert response["statusText"] == "OK"
    assert response["content"]["mimeType"] == "application/json"
    assert response["content"]["size"] == len(b'{"ok": true}')
    cookies = [header["value"] for header in response["headers"] if header["name"].lower() == "set-cookie"]
    assert cookies == [MASK]


def test_har_redirect_hops(api: ApiServer, tmp_path: Path) -> None:
    api.queue.extend([Reply(302, headers={"Location": "@BASE@/middle"}),
                      Reply(307, headers={"Location": "@BASE@/final"}),
                      Reply(json={"done": True})])
    path = write_spec(tmp_path, {"url": f"{api.url}/start"})
    result, text, har = traced_verify(path, {"apiKey": KEY}, tmp_path)

    assert result.ok
    entries = check_har(har)
    assert [entry["request"]["url"] for entry in entries] == [
        f"{api.url}/start", f"{api.url}/middle", f"{api.url}/final"]
    assert [entry["response"]["status"] for entry in entries] == [302, 307, 200]
    assert [entry["response"]["redirectURL"] for entry in entries] == [f"{api.url}/middle", f"{api.url}/final", ""]
    assert text.count("> GET ") == 3


def test_har_transport_failure(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = write_spec(tmp_path, {"url": f"http://127.0.0.1:{port}/v1/{{{{parameters.apiKey}}}}"})
    result, text, har = traced_verify(path, {"apiKey": KEY}, tmp_path)

    assert result.ok is False
    entries = check_har(har)
    assert len(entries) == 1
    assert entries[0]["response"]["status"] == 0
    assert "connection refused" in entries[0]["response"]["_error"]
    assert entries[0]["request"]["url"] == f"http://127.0.0.1:{port}/v1/{MASK}"
    assert "! Could not connect" in text
    assert KEY not in text


def test_har_failure_before_send(tmp_path: Path) -> None:
    recorder = TraceRecorder(har_path=str(tmp_path / "early.har"))
    request = engine_request("ftp://example.com/file")
    recorder.on_error(request, RuntimeError("unsupported scheme"))
    recorder.finish(Redactor(), None)
    entries = check_har(json.loads((tmp_path / "early.har").read_text()))
    assert entries[0]["response"]["_error"] == "unsupported scheme"


def engine_request(url: str) -> Any:
    from imlconnect.http import WireRequest

    return WireRequest(method="GET", url=url, headers=[], request_id="communication#1")


def test_cli_trace_and_har(api: ApiServer, tmp_path: Path) -> None:
    api.queue.extend([Reply(301, headers={"Location": "@BASE@/v2/me"}),
                      Reply(json={"email": "ada@example.com", "token": "tok-trace-cli-4455"})])
    path = write_spec(tmp_path, {"url": f"{api.url}/v1/me", "headers": {"Authorization": "Bearer {{parameters.apiKey}}"},
                                 "response": {"data": {"token": "{{body.token}}"}}})
    har_path = tmp_path / "cli.har"
    done = run_cli("verify", path, "--param", f"apiKey={KEY}", "--no-save", "--allow-private-network",
                   "--trace", "--trace-file", str(har_path))
    assert done.returncode == 0, done.stderr.decode()

    stderr = done.stderr.decode()
    assert f"> GET {api.url}/v1/me" in stderr
    assert f"> GET {api.url}/v2/me" in stderr
    assert "< 301 Moved Permanently" in stderr
    assert "tok-trace-cli-4455" not in stderr
    assert KEY not in stderr
    entries = check_har(json.loads(har_path.read_text(encoding="utf-8")))
    assert len(entries) == 2
    assert "tok-trace-cli-4455" not in har_path.read_text(encoding="utf-8")
    assert b"> GET" not in done.stdout
