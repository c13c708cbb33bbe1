"""`imlconnect request SPEC --connection ID`: output and exit codes of module-style requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.cli import CommandResult, invoke
from support.server import ApiServer, Reply

from imlconnect.store import ConnectionStore

API_KEY = "sk-items-93c0e1d7"
ITEMS = {"items": [{"id": 1, "title": "First"}, {"id": 2, "title": "Second"}]}


def run_process(*args: str) -> CommandResult:
    """Run the installed `imlconnect` command in a subprocess."""
    command = [str(Path(sys.executable).parent / "imlconnect"), *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=dict(os.environ))
    return CommandResult(done.returncode, done.stdout, done.stderr)



@pytest.fixture
def connection_id() -> str:
    """Store a connection in the test's default store (IMLCONNECT_DB) and return its id."""
    with ConnectionStore.open() as store:
        record = store.create(app="items-app", name="items-key", label="Items",
                              parameters={"apiKey": API_KEY}, data={"workspace": "ws-17"},
                              metadata=None, uid=None)
    return record.id


def write_spec(folder: Path, request: Any) -> Path:
    path = folder / "list-items.json"
    path.write_text(json.dumps(request))
    return path


def items_request(api: ApiServer) -> dict[str, Any]:
    return {"url": f"{api.url}/items", "headers": {"Authorization": "Bearer {{connection.apiKey}}"},
            "qs": {"workspace": "{{connection.workspace}}"}}


def request_args(spec: Path, connection_id: str, *extra: str) -> list[str]:
    return ["request", str(spec), "--connection", connection_id, "--allow-private-network", *extra]


# --- success --------------------------------------------------------------------------------------


def test_request_json_output(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(json=ITEMS))
    done = invoke(*request_args(write_spec(tmp_path, items_request(api)), connection_id, "--json"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"ok": True, "error": None, "body": ITEMS}


def test_request_wire(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(json=ITEMS))
    invoke(*request_args(write_spec(tmp_path, items_request(api)), connection_id))
    sent = api.requests[0]
    assert sent.method == "GET"
    assert sent.path == "/items"
    assert sent.query == "workspace=ws-17"
    assert sent.header("Authorization") == f"Bearer {API_KEY}"


def test_request_prints_body(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(json=ITEMS))
    done = invoke(*request_args(write_spec(tmp_path, items_request(api)), connection_id))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ITEMS


def test_request_prints_text_body(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(body="pong", headers={"Content-Type": "text/plain"}))
    done = invoke(*request_args(write_spec(tmp_path, items_request(api)), connection_id))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "pong\n"


def test_request_masks_secrets(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(json={"echo": API_KEY, "note": f"key {API_KEY} accepted"}))
    done = invoke(*request_args(write_spec(tmp_path, items_request(api)), connection_id, "--json"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["body"] == {"echo": "********", "note": "key ******** accepted"}
    assert API_KEY not in done.stdout


def test_request_process_json(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(json=ITEMS))
    done = run_process(*request_args(write_spec(tmp_path, items_request(api)), connection_id, "--json"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"ok": True, "error": None, "body": ITEMS}


# --- failures -------------------------------------------------------------------------------------


def test_request_4xx_json(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(404, json={"message": "No such list"}))
    done = invoke(*request_args(write_spec(tmp_path, items_request(api)), connection_id, "--json"))
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "ok": False,
        "error": {"type": "RuntimeError", "message": "[404] Not Found", "status": 404},
        "body": {"message": "No such list"},
    }


def test_request_4xx_text(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    api.queue.append(Reply(403, json={"message": "Forbidden"}))
    error_rule = {"message": "{{body.message}}", "type": "DataError"}
    request = {**items_request(api), "response": {"error": error_rule}}
    done = invoke(*request_args(write_spec(tmp_path, request), connection_id))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "Request failed: DataError: Forbidden\n"


def test_request_loopback_refused(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    spec = write_spec(tmp_path, items_request(api))
    done = invoke("request", str(spec), "--connection", connection_id, "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "ConnectionError"
    assert "--allow-private-network" in error["message"]
    assert api.requests == []


def test_request_unknown_connection(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    done = invoke(*request_args(write_spec(tmp_path, items_request(api)), "zzzzzzzzzzzz"))
    assert done.returncode == 1
    assert "No stored connection has the id 'zzzzzzzzzzzz'" in done.stderr
    assert api.requests == []


def test_request_data_in_response(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    request = {**items_request(api), "response": {"data": {"workspace": "{{body.workspace}}"}}}
    done = invoke(*request_args(write_spec(tmp_path, request), connection_id))
    assert done.returncode == 2
    assert "request.response.data" in done.stderr
    assert '"data" belongs to connections' in done.stderr
    assert api.requests == []


def test_request_relative_url(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    done = invoke(*request_args(write_spec(tmp_path, {"url": "/items"}), connection_id))
    assert done.returncode == 2
    assert "error: request.url:" in done.stderr
    assert "absolute URL" in done.stderr
    assert api.requests == []


def test_request_problems_once(api: ApiServer, tmp_path: Path, connection_id: str) -> None:
    done = invoke(*request_args(write_spec(tmp_path, {"url": "/items"}), connection_id))
    assert done.stderr.count("error: request.url:") == 1


def test_request_missing_spec_message(tmp_path: Path, connection_id: str) -> None:
    missing = tmp_path / "missing.json"
    done = invoke(*request_args(missing, connection_id))
    assert done.returncode != 0
    assert f"The request spec {missing} does not exist or is not a file." in done.stderr


def test_request_missing_spec_exit_2(tmp_path: Path, connection_id: str) -> None:
    done = invoke(*request_args(tmp_path / "missing.json", connection_id))
    assert done.returncode == 2
