"""The command-line contract: exit codes and JSON output, through the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.server import ApiServer, Reply

KEY_PARAMS = [{"name": "apiKey", "type": "password", "required": True},
              {"name": "region", "type": "select", "options": [{"value": "eu"}, {"value": "us"}]}]


def imlconnect(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "imlconnect"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def bundle(tmp_path: Path, communication: Any, parameters: list[Any] | None = None) -> str:
    path = tmp_path / "connection.json"
    path.write_text(json.dumps({"communication": communication, "parameters": parameters or KEY_PARAMS}))
    return str(path)


def test_verify_success_json(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={"id": 42, "email": "ada@example.com", "token": "tok-secret-1"}))
    spec = bundle(tmp_path, {"url": f"{api.url}/me", "headers": {"Authorization": "Bearer {{parameters.apiKey}}"},
                             "response": {"uid": "{{body.id}}", "data": {"token": "{{body.token}}"},
                                          "metadata": {"type": "email", "value": "{{body.email}}"}}})
    done = imlconnect("verify", spec, "--param", "apiKey=sk-live-123", "--json", "--allow-private-network")
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["ok"] is True
    assert output["error"] is None
    assert output["uid"] == "42"
    assert output["metadata"] == {"type": "email", "value": "ada@example.com"}
    assert output["data"] == {"token": "********"}
    assert isinstance(output["connection_id"], str)
    assert api.requests[0].header("Authorization") == "Bearer sk-live-123"


def test_verify_reveal_shows_data(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={"token": "tok-secret-1"}))
    spec = bundle(tmp_path, {"url": f"{api.url}/me", "response": {"data": {"token": "{{body.token}}"}}})
    done = imlconnect("verify", spec, "--param", "apiKey=sk-live-123", "--json", "--reveal", "--no-save",
                      "--allow-private-network")
    output = json.loads(done.stdout)
    assert output["data"] == {"token": "tok-secret-1"}
    assert output["connection_id"] is None


def test_verify_failure_exit_1(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(401, json={"message": "bad key sk-live-123"}))
    spec = bundle(tmp_path, {"url": f"{api.url}/me",
                             "response": {"error": {"message": "{{body.message}}", "type": "InvalidAccessTokenError"}}})
    done = imlconnect("verify", spec, "--param", "apiKey=sk-live-123", "--json", "--allow-private-network")
    assert done.returncode == 1
    output = json.loads(done.stdout)
    assert output["ok"] is False
    assert output["error"] == {"type": "InvalidAccessTokenError", "message": "bad key ********", "status": 401}
    assert "sk-live-123" not in done.stdout + done.stderr


def test_verify_bad_spec_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"communication": {"url": "https://example.invalid/{{ifempty(parameters.a, }}"}, "parameters": []}')
    done = imlconnect("verify", str(path), "--json", "--no-save")
    assert done.returncode == 2
    output = json.loads(done.stdout)
    assert output["ok"] is False
    assert output["error"]["type"] == "InvalidSpec"
    problem = output["error"]["problems"][0]
    assert problem["path"] == "communication.url"
    assert problem["file"].endswith("broken.json")
    assert problem["line"] == 1
    assert isinstance(problem["column"], int)


def test_verify_not_json_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"communication": {"url": "x"\n "parameters": []}')
    done = imlconnect("verify", str(path), "--json", "--no-save")
    assert done.returncode == 2
    problem = json.loads(done.stdout)["error"]["problems"][0]
    assert problem["line"] == 2


def test_verify_bad_parameters_exit_2(api: ApiServer, tmp_path: Path) -> None:
    spec = bundle(tmp_path, {"url": f"{api.url}/me"})
    done = imlconnect("verify", spec, "--param", "region=asia", "--json", "--no-save", "--allow-private-network")
    assert done.returncode == 2
    output = json.loads(done.stdout)
    assert output["error"]["type"] == "InvalidParameters"
    paths = {problem["path"]: problem["message"] for problem in output["error"]["problems"]}
    assert paths["parameters.apiKey"] == "Field is mandatory."
    assert "parameters.region" in paths
    assert api.requests == []


def test_verify_refuses_loopback_by_default(api: ApiServer, tmp_path: Path) -> None:
    spec = bundle(tmp_path, {"url": f"{api.url}/me"})
    done = imlconnect("verify", spec, "--param", "apiKey=k-1234", "--json", "--no-save")
    assert done.returncode == 1
    output = json.loads(done.stdout)
    assert output["error"]["type"] == "ConnectionError"
    assert "--allow-private-network" in output["error"]["message"]
    assert api.requests == []


def test_verify_allow_host(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={}))
    spec = bundle(tmp_path, {"url": f"{api.url}/me"})
    done = imlconnect("verify", spec, "--param", "apiKey=k-1234", "--json", "--no-save", "--allow-host", "127.0.0.1")
    assert done.returncode == 0, done.stdout


def test_validate_exit_codes(tmp_path: Path) -> None:
    good = bundle(tmp_path, {"url": "https://api.example.com/me", "response": {"error": {"type": "Odd", "message": "x"}}})
    done = imlconnect("validate", good, "--json")
    assert done.returncode == 0, done.stdout
    output = json.loads(done.stdout)
    assert output["errors"] == 0
    assert output["warnings"] >= 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"communication": {"url": "https://x.example", "heders": {}}, "parameters": []}))
    done = imlconnect("validate", str(bad))
    assert done.returncode == 1
    assert "heders" in done.stdout
    assert "headers" in done.stdout


def test_eval_json_and_text(tmp_path: Path) -> None:
    context = tmp_path / "ctx.json"
    context.write_text(json.dumps({"body": {"n": 2}}))
    done = imlconnect("eval", "{{body.n * 1.5}}", "--context", str(context), "--json")
    assert (done.returncode, done.stdout.strip()) == (0, "3")
    done = imlconnect("eval", "{{upper('a')}}")
    assert done.stdout.splitlines() == ["A", "type: text"]


def test_eval_syntax_error_exit_2() -> None:
    done = imlconnect("eval", "{{body.list[}}")
    assert done.returncode == 2
    assert "^" in done.stderr


def test_connections_list_show_delete(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={"id": 1}))
    spec = bundle(tmp_path, {"url": f"{api.url}/me", "response": {"uid": "{{body.id}}"}})
    verified = json.loads(imlconnect("verify", spec, "--param", "apiKey=sk-live-123", "--json",
                                     "--allow-private-network").stdout)
    connection_id = verified["connection_id"]
    listed = json.loads(imlconnect("connections", "list", "--json").stdout)
    assert [item["id"] for item in listed] == [connection_id]
    shown = imlconnect("connections", "show", connection_id, "--json")
    assert json.loads(shown.stdout)["parameters"] == {"apiKey": "********"}
    assert "sk-live-123" not in shown.stdout
    assert imlconnect("connections", "delete", connection_id).returncode == 0
    assert imlconnect("connections", "show", connection_id).returncode == 1


def test_demo_runs_offline(tmp_path: Path) -> None:
    done = imlconnect("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "InvalidAccessTokenError" in done.stdout
    assert "ada@acme-notes.example" in done.stdout


def test_reverify_with_other_spec_refused(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={}))
    first = tmp_path / "first"
    first.mkdir()
    spec = bundle(first, {"url": f"{api.url}/me"})
    stored = json.loads(imlconnect("verify", spec, "--param", "apiKey=sk-live-123", "--json",
                                   "--allow-private-network").stdout)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "otherConnection", "communication": {"url": f"{api.url}/me"},
                                 "parameters": KEY_PARAMS}))
    done = imlconnect("verify", str(other), "--connection", stored["connection_id"], "--json",
                      "--allow-private-network")
    assert done.returncode == 2
    assert "belongs to" in json.loads(done.stdout)["error"]["message"]
    assert len(api.requests) == 1
