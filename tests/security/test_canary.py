"""Canary tests: unique secrets planted everywhere a run reads them must never come out.

The secrets are in a password parameter, in `common`, in data stored by a first verification, in
a token that the API returns and in a cookie that the API sets. An error body echoes them back.
Four more are at `log.sanitize` paths: a header, a query key, a request body path and a response
body path. Each run goes through the Python API and through the `imlconnect` command, on the success
path and on every failing path, and each output is scanned for every canary in its raw, base64,
base64url and URL-encoded forms.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import traceback
from pathlib import Path
from typing import Any

import pytest
from support.server import ApiServer, Recorded, Reply

import imlconnect.api as engine
from imlconnect.errors import ParametersError
from imlconnect.limits import RunLimits
from imlconnect.redact import MASK
from imlconnect.store import ConnectionStore
from imlconnect.trace import TraceRecorder
from security.canary import LeakScanner, make_canary, run_cli

PARAMETERS = [
    {"name": "apiKey", "type": "password", "required": True},
    {"name": "account", "type": "text"},
    {"name": "signature", "type": "text"},
    {"name": "bodySecret", "type": "text"},
]

SANITIZE = [
    "request.headers.x-signature",
    "request.qs.account",
    "request.body.credentials.secret",
    "response.body.session.id",
]


def plant_canaries() -> dict[str, str]:
    return {name: make_canary(name) for name in (
        "password", "common", "token", "cookie", "session", "header", "query", "body",
    )}


def user_values(canaries: dict[str, str]) -> dict[str, str]:
    return {
        "apiKey": canaries["password"],
        "account": canaries["query"],
        "signature": canaries["header"],
        "bodySecret": canaries["body"],
    }


def main_bundle(base: str, canaries: dict[str, str]) -> dict[str, Any]:
    """A connection that sends every kind of secret and stores the token the API returns."""
    return {
        "communication": {
            "url": f"{base}/v1/me",
            "method": "POST",
            "headers": {
                "Authorization": "Bearer {{parameters.apiKey}}",
                "X-Client-Secret": "{{common.clientSecret}}",
                "X-Signature": "{{parameters.signature}}",
                "X-Session": "{{data.token}}",
            },
            "qs": {"account": "{{parameters.account}}"},
            "body": {"credentials": {"secret": "{{parameters.bodySecret}}"}},
            "log": {"sanitize": SANITIZE},
            "response": {
                "data": {"token": "{{body.token}}"},
                "metadata": {"type": "text", "value": "{{body.name}}"},
                "uid": "{{body.id}}",
                "error": {"message": "{{body.message}}", "type": "InvalidAccessTokenError"},
            },
        },
        "parameters": PARAMETERS,
        "common": {"clientSecret": canaries["common"]},
    }


def echo_route(canaries: dict[str, str]):
    """Reply to a first call with a token and a cookie, and echo every later call back in a 401."""

    def route(request: Recorded) -> Reply:
        if request.header("X-Session") is None:
            return Reply(
                json={"token": canaries["token"], "name": "Ada", "id": 7, "session": {"id": canaries["session"]}},
                headers={"Set-Cookie": f"sid={canaries['cookie']}; Path=/; HttpOnly"},
            )
        received = {"headers": dict(request.headers), "query": request.query, "body": request.body.decode()}
        return Reply(401, json={"message": f"Invalid credentials, received {json.dumps(received)}"})

    return route


def failing_bundles(base: str, closed_port: int) -> dict[str, dict[str, Any]]:
    """Connections that fail in the transport (too large, refused) and in IML evaluation."""
    key_path = "/v1/{{parameters.apiKey}}/big"
    return {
        "too_large": {"communication": {"url": f"{base}{key_path}"}, "parameters": PARAMETERS},
        "refused": {
            "communication": {"url": f"http://127.0.0.1:{closed_port}/v1/{{{{parameters.apiKey}}}}"},
            "parameters": PARAMETERS,
        },
        "iml_error": {
            "communication": {
                "url": f"{base}/v1/me",
                "method": "POST",
                "body": {"data": "{{toBinary('abc', parameters.apiKey)}}"},
            },
            "parameters": PARAMETERS,
        },
    }


def bad_parameters_bundle(base: str, canaries: dict[str, str]) -> dict[str, Any]:
    """A connection whose parameter checks fail on secret values (one of them is echoed)."""
    return {
        "communication": {"url": f"{base}/v1/me"},
        "parameters": [
            {"name": "apiKey", "type": "password", "required": True, "validate": {"pattern": "^sk-"}},
            {"name": "contact", "type": "email"},
        ],
        "common": {"clientSecret": canaries["common"]},
    }


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write(tmp_path: Path, name: str, bundle: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return path


def scan_logs(scanner: LeakScanner, label: str, caplog: pytest.LogCaptureFixture) -> None:
    scanner.check(f"{label}:caplog text", caplog.text)
    for index, record in enumerate(caplog.records):
        scanner.check(f"{label}:record {index} message", record.getMessage())
        scanner.check(f"{label}:record {index} exception", record.exc_text or "")


def test_canaries_python_api(
    api: ApiServer, tmp_path: Path, isolated_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imlconnect")
    canaries = plant_canaries()
    scanner = LeakScanner(canaries)
    api.routes[("POST", "/v1/me")] = echo_route(canaries)
    main = write(tmp_path, "main", main_bundle(api.url, canaries))
    values = user_values(canaries)
    store = ConnectionStore.open()

    # A first verification stores the token; the trace and HAR see the cookie and session id.
    stream = io.StringIO()
    recorder = TraceRecorder(stream=stream, har_path=str(tmp_path / "first.har"))
    first = engine.verify(main, values, store=store, save=True, allow_private_network=True,
                       on_request=recorder.on_request, on_response=recorder.on_response,
                       on_error=recorder.on_error)
    recorder.finish(first.redactor, engine.load_connection(main))
    assert first.ok, first.error
    assert first.data["token"] == canaries["token"]
    scanner.check("first:json", json.dumps(first.to_json()))
    scanner.check("first:repr", repr(first))
    scanner.check("first:trace", stream.getvalue())
    scanner.check("first:har", (tmp_path / "first.har").read_bytes())

    # Re-verification: the API echoes every secret of the request in a 401 body.
    stream = io.StringIO()
    recorder = TraceRecorder(stream=stream, har_path=str(tmp_path / "second.har"))
    second = engine.verify(main, store=store, save=True, connection_id=first.connection_id,
                        allow_private_network=True, on_request=recorder.on_request,
                        on_response=recorder.on_response, on_error=recorder.on_error)
    recorder.finish(second.redactor, engine.load_connection(main))
    assert second.ok is False
    assert second.raw_error is not None
    assert canaries["token"] in second.raw_error.message
    assert second.error is not None
    assert MASK in second.error.message
    scanner.check("second:error message", second.error.message)
    scanner.check("second:json", json.dumps(second.to_json()))
    scanner.check("second:repr", repr(second))
    scanner.check("second:trace", stream.getvalue())
    scanner.check("second:har", (tmp_path / "second.har").read_bytes())
    stored = store.get(first.connection_id)
    assert stored.last_error is not None
    scanner.check("second:stored last error", stored.last_error.message)

    # The same failure through the async API.
    third = asyncio.run(engine.averify(main, store=store, connection_id=first.connection_id,
                                    allow_private_network=True))
    assert third.ok is False
    scanner.check("async:json", json.dumps(third.to_json()))

    # Transport failures and an IML error whose message quotes the key.
    for name, bundle in failing_bundles(api.url, closed_port()).items():
        api.queue.append(Reply(body="x" * 1000, headers={"Content-Type": "text/plain"}))
        stream = io.StringIO()
        recorder = TraceRecorder(stream=stream, har_path=str(tmp_path / f"{name}.har"))
        path = write(tmp_path, name, bundle)
        result = engine.verify(path, values, allow_private_network=True,
                            limits=RunLimits(max_response_bytes=64),
                            on_request=recorder.on_request, on_response=recorder.on_response,
                            on_error=recorder.on_error)
        recorder.finish(result.redactor, engine.load_connection(path))
        assert result.ok is False, name
        assert result.raw_error is not None
        scanner.check(f"{name}:error message", result.error.message if result.error else "")
        scanner.check(f"{name}:json", json.dumps(result.to_json()))
        scanner.check(f"{name}:trace", stream.getvalue())
        scanner.check(f"{name}:har", (tmp_path / f"{name}.har").read_bytes())
    assert canaries["password"] in result.raw_error.message  # the IML error quoted the key

    # A parameter problem that quotes a common value is raised with the value masked.
    bad = write(tmp_path, "bad", bad_parameters_bundle(api.url, canaries))
    with pytest.raises(ParametersError) as raised:
        engine.verify(bad, {"apiKey": canaries["password"], "contact": canaries["common"]},
                   allow_private_network=True)
    problems = "\n".join(problem.message for problem in raised.value.problems)
    assert MASK in problems
    scanner.check("parameters:exception", str(raised.value))
    scanner.check("parameters:problems", problems)
    scanner.check("parameters:traceback", "".join(traceback.format_exception(raised.value)))

    store.close()
    masked_records = [record for record in caplog.records if MASK in record.getMessage()]
    assert masked_records, "no log record needed redaction, so the log check proves nothing"
    scan_logs(scanner, "api", caplog)
    scanner.check_folder("store", isolated_store)
    print(f"canaries planted: {len(canaries)}; outputs checked: {len(scanner.outputs)}")


def test_canaries_command_line(api: ApiServer, tmp_path: Path, isolated_store: Path) -> None:
    canaries = plant_canaries()
    scanner = LeakScanner(canaries)
    api.routes[("POST", "/v1/me")] = echo_route(canaries)
    main = write(tmp_path, "main", main_bundle(api.url, canaries))
    params = [item for name, value in user_values(canaries).items() for item in ("--param", f"{name}={value}")]
    allow = "--allow-private-network"

    def scan_run(label: str, done: Any) -> None:
        scanner.check(f"{label}:stdout", done.stdout)
        scanner.check(f"{label}:stderr", done.stderr)

    # First verification, traced at DEBUG; the connection is stored.
    har = tmp_path / "first.har"
    done = run_cli("verify", str(main), *params, "--json", "--trace", "--trace-file", str(har), allow,
                   env={"IMLCONNECT_LOG_LEVEL": "DEBUG"})
    assert done.returncode == 0, done.stderr.decode()
    connection_id = json.loads(done.stdout)["connection_id"]
    assert b"> POST" in done.stderr
    scan_run("first", done)
    scanner.check("first:har", har.read_bytes())

    # Re-verification with the stored data; the API echoes the request in a 401 body.
    for level in ("INFO", "WARNING"):
        har = tmp_path / f"second-{level}.har"
        done = run_cli("verify", str(main), "--connection", connection_id, "--json", "--trace",
                       "--trace-file", str(har), allow, env={"IMLCONNECT_LOG_LEVEL": level})
        assert done.returncode == 1, done.stderr.decode()
        assert MASK in json.loads(done.stdout)["error"]["message"]
        scan_run(f"second-{level}", done)
        scanner.check(f"second-{level}:har", har.read_bytes())
    done = run_cli("verify", str(main), "--connection", connection_id, allow, env={"IMLCONNECT_LOG_LEVEL": "DEBUG"})
    assert done.returncode == 1, done.stderr.decode()
    scan_run("second:human", done)

    # Transport failures and an IML error whose message quotes the key.
    for name, bundle in failing_bundles(api.url, closed_port()).items():
        api.queue.append(Reply(body="x" * 1000, headers={"Content-Type": "text/plain"}))
        path = write(tmp_path, name, bundle)
        har = tmp_path / f"{name}.har"
        done = run_cli("verify", str(path), *params, "--json", "--no-save", "--trace", "--trace-file", str(har),
                       "--limit", "max_response_bytes=64", allow, env={"IMLCONNECT_LOG_LEVEL": "DEBUG"})
        assert done.returncode == 1, done.stderr.decode()
        scan_run(name, done)
        scanner.check(f"{name}:har", har.read_bytes())

    # Parameter problems, then the commands that show stored connections and check a spec.
    bad = write(tmp_path, "bad", bad_parameters_bundle(api.url, canaries))
    for extra in ((), ("--json",)):
        done = run_cli("verify", str(bad), "--param", f"apiKey={canaries['password']}",
                       "--param", f"contact={canaries['common']}", *extra, allow,
                       env={"IMLCONNECT_LOG_LEVEL": "DEBUG"})
        assert done.returncode == 2, done.stderr.decode()
        scan_run(f"parameters{''.join(extra)}", done)
    for command in (("connections", "show", connection_id, "--json"), ("connections", "list"),
                    ("validate", str(main), "--json")):
        done = run_cli(*command)
        assert done.returncode in (0, 1), done.stderr.decode()
        scan_run(" ".join(command[:2]), done)

    scanner.check_folder("store", isolated_store)
    print(f"canaries planted: {len(canaries)}; outputs checked: {len(scanner.outputs)}")
