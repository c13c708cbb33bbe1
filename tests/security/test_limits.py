"""Run-wide limits: each limit has a default, a `limits=` field and a `--limit` name that matter."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.server import ApiServer, Reply

import imlconnect.api as engine
from imlconnect.errors import SpecError, UsageError
from imlconnect.http.limits import TransportOptions
from imlconnect.iml import DEFAULT_LIMITS
from imlconnect.limits import DEFAULT_RUN_LIMITS, RunLimits, limits_help, template_limit_problems
from imlconnect.store import ConnectionStore
from security.canary import run_cli


@pytest.fixture
def stalled_port() -> Iterator[int]:
    """A loopback port whose accept queue is full, so new connects hang until they time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.05)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


# Each case: the limit to set, the communication, the replies to queue, and the expected message.
Case = tuple[dict[str, Any], Callable[[str], Any], list[Reply], str]

CASES: dict[str, Case] = {
    "max_response_bytes": (
        {"max_response_bytes": 100},
        lambda base: {"url": f"{base}/big"},
        [Reply(body="x" * 500, headers={"Content-Type": "text/plain"})],
        "larger than the limit of 100 bytes",
    ),
    "max_redirects": (
        {"max_redirects": 0},
        lambda base: {"url": f"{base}/old"},
        [Reply(302, headers={"Location": "@BASE@/new"}), Reply(json={"ok": True})],
        "redirected more than 0 times",
    ),
    "max_response_headers": (
        {"max_response_headers": 5},
        lambda base: {"url": f"{base}/headers"},
        [Reply(json={}, headers={f"X-Extra-{index}": "1" for index in range(8)})],
        "more than the limit of 5",
    ),
    "max_response_header_bytes": (
        {"max_response_header_bytes": 200},
        lambda base: {"url": f"{base}/headers"},
        [Reply(json={}, headers={"X-Long": "v" * 300})],
        "more than the limit of 200 bytes",
    ),
    "max_requests": (
        {"max_requests": 1},
        lambda base: [{"url": f"{base}/one"}, {"url": f"{base}/two"}],
        [Reply(json={}), Reply(json={})],
        "exceeded the limit of 1 requests",
    ),
    "max_response_depth": (
        {"max_response_depth": 5},
        lambda base: {"url": f"{base}/deep", "response": {"type": "json"}},
        [Reply(body=nested_json(10), headers={"Content-Type": "application/json"})],
        "deeper than 5 levels",
    ),
    "read_timeout_s": (
        {"read_timeout_s": 0.3},
        lambda base: {"url": f"{base}/slow"},
        [Reply(json={}, delay=0.6)],
        "sent nothing for 0.3 s",
    ),
    "max_request_timeout_s": (
        {"max_request_timeout_s": 0.3},
        lambda base: {"url": f"{base}/slow"},
        [Reply(json={}, delay=0.6)],
        "timed out after 0.3 s",
    ),
    "iml_max_string_length": (
        {"iml_max_string_length": 50},
        lambda base: {"url": f"{base}/x", "headers": {"X-Long": "{{'a' + parameters.text}}"}},
        [Reply(json={})],
        "more than the limit of 50",
    ),
    "iml_max_array_length": (
        {"iml_max_array_length": 5},
        lambda base: {"url": f"{base}/x", "qs": {"items": "{{split(parameters.csv, ',')}}"}},
        [Reply(json={})],
        "the limit of 5",
    ),
    "iml_max_pattern_length": (
        {"iml_max_pattern_length": 3},
        lambda base: {"url": f"{base}/x", "headers": {"X-Clean": "{{replace(parameters.text, '/ab+c/', 'x')}}"}},
        [Reply(json={})],
        "longer than 3 characters",
    ),
    "iml_regex_timeout_s": (
        {"iml_regex_timeout_s": 0.000001},
        lambda base: {"url": f"{base}/x", "body": {"n": "{{length(replace(parameters.huge, '/a/g', 'b'))}}"},
                      "method": "POST"},
        [Reply(json={})],
        "took longer than the time limit",
    ),
}

VALUES = {"text": "b" * 80, "csv": ",".join(str(number) for number in range(20)), "huge": "a" * 5000}


def verify_case(api: ApiServer, write_bundle: Callable[..., Path], case: Case, limits: RunLimits | None) -> Any:
    _, communication, replies, _ = case
    api.queue.extend(replies)
    path = write_bundle(communication(api.url))
    return engine.verify(path, VALUES, allow_private_network=True, limits=limits)


@pytest.mark.parametrize("name", sorted(CASES))
def test_limit_changes_behaviour(name: str, api: ApiServer, write_bundle: Callable[..., Path]) -> None:
    case = CASES[name]
    changes, _, _, expected = case

    default = verify_case(api, write_bundle, case, None)
    assert default.ok, default.error

    limited = verify_case(api, write_bundle, case, RunLimits(**changes))
    assert limited.ok is False
    assert limited.error is not None
    assert expected in limited.error.message


def test_connect_timeout_limit(stalled_port: int, write_bundle: Callable[..., Path]) -> None:
    path = write_bundle({"url": f"http://127.0.0.1:{stalled_port}/x"})
    started = time.monotonic()
    result = engine.verify(path, allow_private_network=True, limits=RunLimits(connect_timeout_s=0.3))
    assert result.ok is False
    assert result.error is not None
    assert result.error.type == "ConnectionError"
    assert "timed out after 0.3 s" in result.error.message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("limit", ["iml_max_depth=3", "iml_max_template_length=40"])
def test_iml_load_limits_raise(limit: str, write_bundle: Callable[..., Path]) -> None:
    path = write_bundle({"url": "https://api.example.com/{{lower(upper(lower(upper(parameters.name))))}}"})
    with pytest.raises(SpecError) as raised:
        engine.verify(path, {"name": "x"}, limits=RunLimits.from_options([limit]))
    assert raised.value.problems
    assert raised.value.problems[0].path == "communication.url"


def test_iml_load_limits_default_pass(write_bundle: Callable[..., Path]) -> None:
    path = write_bundle({"url": "https://api.example.com/{{lower(upper(lower(upper(parameters.name))))}}"})
    spec = engine.load_connection(path)
    assert template_limit_problems(spec, DEFAULT_LIMITS) == []
    assert template_limit_problems(spec, RunLimits(iml_max_depth=3).iml_limits())


def test_module_request_limits(api: ApiServer, write_bundle: Callable[..., Path], tmp_path: Path) -> None:
    api.queue.append(Reply(json={"token": "tok-module-1"}))
    store = ConnectionStore.open()
    stored = engine.verify(write_bundle({"url": f"{api.url}/me", "response": {"data": {"token": "{{body.token}}"}}}),
                           store=store, save=True, allow_private_network=True)
    assert stored.connection_id is not None
    spec = tmp_path / "module.json"
    spec.write_text(json.dumps({"url": f"{api.url}/items"}))
    api.queue.append(Reply(body="y" * 300, headers={"Content-Type": "text/plain"}))

    result = engine.run_module_request(spec, stored.connection_id, store=store, allow_private_network=True,
                                       limits=RunLimits(max_response_bytes=100))
    store.close()
    assert result.ok is False
    assert result.error is not None
    assert "larger than the limit of 100 bytes" in result.error.message


# --- the RunLimits object -------------------------------------------------------------------


def test_defaults_match_documented_values() -> None:
    limits = RunLimits()
    assert limits.connect_timeout_s == 10
    assert limits.read_timeout_s == 30
    assert limits.max_request_timeout_s == 300
    assert limits.max_response_bytes == 16 * 1024 * 1024
    assert limits.max_redirects == 10
    assert limits.max_requests == 50
    assert limits.max_response_depth == 256
    assert limits.iml_max_depth == DEFAULT_LIMITS.max_depth


def test_iml_defaults_match_library() -> None:
    iml = RunLimits().iml_limits()
    assert iml == DEFAULT_LIMITS


def test_from_options_parses_values() -> None:
    limits = RunLimits.from_options(["max_response_bytes=1_048_576", "connect_timeout_s=2.5", "max_redirects=0"])
    assert limits.max_response_bytes == 1_048_576
    assert limits.connect_timeout_s == 2.5
    assert limits.max_redirects == 0


def test_from_options_later_wins() -> None:
    limits = RunLimits.from_options(["max_requests=3", "max_requests=4"])
    assert limits.max_requests == 4


@pytest.mark.parametrize("item", ["bogus=1", "max_requests", "=3"])
def test_from_options_rejects_names(item: str) -> None:
    with pytest.raises(UsageError):
        RunLimits.from_options([item])


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(UsageError) as raised:
        RunLimits.from_options(["max_bytes=1"])
    for name in RunLimits.names():
        assert name in str(raised.value)


@pytest.mark.parametrize("item", [
    "max_requests=abc", "max_requests=0", "max_requests=1.5", "connect_timeout_s=0", "read_timeout_s=-1",
    "max_redirects=-1", "max_request_timeout_s=301", "connect_timeout_s=nan", "iml_regex_timeout_s=inf",
])
def test_from_options_rejects_values(item: str) -> None:
    with pytest.raises(UsageError):
        RunLimits.from_options([item])


def test_transport_options_carry_limits() -> None:
    limits = RunLimits(connect_timeout_s=1, read_timeout_s=2, max_response_bytes=3, max_redirects=4,
                       max_response_headers=5, max_response_header_bytes=6)
    options = limits.transport_options(allow_private_network=True)
    assert options.connect_timeout_s == 1
    assert options.read_timeout_s == 2
    assert options.max_response_bytes == 3
    assert options.max_redirects == 4
    assert options.max_header_count == 5
    assert options.max_header_bytes == 6
    assert options.allow_private_network is True


def test_transport_options_keep_base() -> None:
    base = TransportOptions(allow_hosts=("api.example.com",))
    options = RunLimits(max_redirects=2).transport_options(base)
    assert options.allow_hosts == ("api.example.com",)
    assert options.max_redirects == 2


def test_iml_limits_mapping() -> None:
    limits = RunLimits(iml_max_string_length=11, iml_max_array_length=12, iml_max_depth=13,
                       iml_max_template_length=14, iml_max_pattern_length=15, iml_regex_timeout_s=0.5)
    iml = limits.iml_limits()
    assert iml.max_string_length == 11
    assert iml.max_array_length == 12
    assert iml.max_depth == 13
    assert iml.max_template_length == 14
    assert iml.max_pattern_length == 15
    assert iml.regex_timeout_seconds == 0.5


def test_help_lists_every_name() -> None:
    text = limits_help()
    for name, default, description in DEFAULT_RUN_LIMITS.describe():
        assert f"{name} ({default})" in text
        assert description


def test_semantics_doc_lists_every_name() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "semantics.md").read_text(encoding="utf-8")
    for name, default, _ in DEFAULT_RUN_LIMITS.describe():
        assert f"`{name}`" in doc, name


# --- the command line ----------------------------------------------------------------------


def bundle_file(tmp_path: Path, communication: Any) -> str:
    path = tmp_path / "limits.json"
    path.write_text(json.dumps({"communication": communication, "parameters": []}))
    return str(path)


def test_cli_unknown_limit_exit_2(tmp_path: Path) -> None:
    done = run_cli("verify", bundle_file(tmp_path, {"url": "https://api.example.com/"}), "--limit", "nope=1",
                   "--json")
    assert done.returncode == 2
    output = json.loads(done.stdout)
    assert output["error"]["type"] == "InvalidUsage"
    assert "max_response_bytes" in output["error"]["message"]


def test_cli_bad_limit_value_exit_2(tmp_path: Path) -> None:
    done = run_cli("verify", bundle_file(tmp_path, {"url": "https://api.example.com/"}), "--limit",
                   "max_requests=many")
    assert done.returncode == 2
    assert b"max_requests must be a whole number" in done.stderr


def test_cli_limits_change_behaviour(api: ApiServer, tmp_path: Path) -> None:
    spec = bundle_file(tmp_path, [{"url": f"{api.url}/one"}, {"url": f"{api.url}/two"}])
    api.queue.extend([Reply(json={}), Reply(json={})])
    done = run_cli("verify", spec, "--json", "--no-save", "--allow-private-network", "--limit", "max_requests=1")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "RuntimeError"
    assert "exceeded the limit of 1 requests" in error["message"]

    api.queue.append(Reply(body="z" * 400, headers={"Content-Type": "text/plain"}))
    done = run_cli("verify", spec, "--json", "--no-save", "--allow-private-network",
                   "--limit", "max_response_bytes=100", "--limit", "max_requests=5")
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "ConnectionError"
    assert "larger than the limit of 100 bytes" in error["message"]


def test_cli_request_limit(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={"token": "tok-cli-module"}))
    stored = run_cli("verify", bundle_file(tmp_path, {"url": f"{api.url}/me"}), "--json",
                     "--allow-private-network")
    connection_id = json.loads(stored.stdout)["connection_id"]
    module = tmp_path / "module.json"
    module.write_text(json.dumps({"url": f"{api.url}/old"}))
    api.queue.append(Reply(302, headers={"Location": "@BASE@/new"}))

    done = run_cli("request", str(module), "--connection", connection_id, "--json", "--allow-private-network",
                   "--limit", "max_redirects=0")
    assert done.returncode == 1
    assert "redirected more than 0 times" in json.loads(done.stdout)["error"]["message"]

    done = run_cli("request", str(module), "--connection", connection_id, "--limit", "wrong=1")
    assert done.returncode == 2
    assert b"Valid limits" in done.stderr
