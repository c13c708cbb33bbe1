"""`imlconnect verify PATH --connection ID` re-verifies a stored connection of a published app.

The FoPost connection keeps its API key in `data` and names the first workspace in its metadata,
so a re-verification shows both what changes on success and what a failure keeps. The store is
the test's default store (`IMLCONNECT_DB`, set by the shared fixtures).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.server import ApiServer, Reply

from corpus.realapps import deploy, invoke_command, write_json
from imlconnect.store import ConnectionStore

FOPOST = "fopost__fopost-make__fopost"
FOPOST_KEY = "fpk_live_7c2d90e1b4f3"
FIRST = {"data": [{"id": "ws_01", "name": "Acme Studio"}]}
RENAMED = {"data": [{"id": "ws_01", "name": "Acme Studio EU"}]}
REJECTED = {"error": "unauthorized", "message": "Invalid API key."}
MESSAGE_401 = ("[401] That FoPost API key was rejected. Create a key in the FoPost dashboard under "
               "Settings → API keys and paste it again.")


def store_connection(api: ApiServer, tmp_path: Path) -> tuple[Path, str]:
    """Verify and save the FoPost connection through the command, and return its folder and id."""
    folder = deploy(FOPOST, tmp_path, {"https://api.fopost.com": api.url})
    params = write_json(tmp_path / "params.json", {"apiKey": FOPOST_KEY})
    api.queue.append(Reply(json=FIRST))
    done = invoke_command("verify", str(folder), "--params-file", str(params), "--json",
                          "--allow-private-network")
    assert done.returncode == 0, done.stdout + done.stderr
    connection_id = json.loads(done.stdout)["connection_id"]
    assert isinstance(connection_id, str)
    api.requests.clear()
    return folder, connection_id


def reverify(folder: Path, connection_id: str) -> tuple[int, Any]:
    done = invoke_command("verify", str(folder), "--connection", connection_id, "--json",
                          "--allow-private-network")
    return done.returncode, json.loads(done.stdout)


def show(connection_id: str) -> Any:
    done = invoke_command("connections", "show", connection_id, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_reverify_success(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(json=RENAMED))
    code, output = reverify(folder, connection_id)
    assert code == 0
    assert output == {"ok": True, "error": None, "data": {"apiKey": "********"},
                      "metadata": {"type": "text", "value": "Acme Studio EU"}, "uid": None,
                      "connection_id": connection_id}


def test_reverify_reuses_parameters(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(json=RENAMED))
    reverify(folder, connection_id)
    assert len(api.requests) == 1
    assert api.requests[0].header("X-API-Key") == FOPOST_KEY


def test_show_after_success(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(json=RENAMED))
    reverify(folder, connection_id)
    record_json = show(connection_id)
    assert record_json["status"] == "verified"
    assert record_json["last_error"] is None
    assert record_json["metadata"] == {"type": "text", "value": "Acme Studio EU"}
    assert record_json["data"] == {"apiKey": "********"}
    assert record_json["parameters"] == {"apiKey": "********"}
    assert record_json["version"] == 2


def test_reverify_failure(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(401, json=REJECTED))
    code, output = reverify(folder, connection_id)
    assert code == 1
    # A failed run reports the stored data and metadata, which it leaves as they were.
    assert output == {"ok": False, "error": {"type": "RuntimeError", "message": MESSAGE_401, "status": 401},
                      "data": {"apiKey": "********"}, "metadata": {"type": "text", "value": "Acme Studio"},
                      "uid": None, "connection_id": connection_id}


def test_show_after_failure(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(401, json=REJECTED))
    reverify(folder, connection_id)
    record_json = show(connection_id)
    assert record_json["status"] == "failed"
    assert record_json["last_error"] == {"type": "RuntimeError", "message": MESSAGE_401, "status": 401}
    assert record_json["metadata"] == {"type": "text", "value": "Acme Studio"}
    assert record_json["data"] == {"apiKey": "********"}
    assert record_json["version"] == 2


def test_failure_keeps_stored_data(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(401, json=REJECTED))
    reverify(folder, connection_id)
    with ConnectionStore.open() as store:
        record = store.get(connection_id)
    assert record.data == {"apiKey": FOPOST_KEY}
    assert record.parameters == {"apiKey": FOPOST_KEY}


def test_recovery_after_failure(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(401, json=REJECTED))
    reverify(folder, connection_id)
    api.queue.append(Reply(json=RENAMED))
    code, _ = reverify(folder, connection_id)
    assert code == 0
    record_json = show(connection_id)
    assert record_json["status"] == "verified"
    assert record_json["last_error"] is None
    assert record_json["version"] == 3


def test_reverify_lists_one_connection(api: ApiServer, tmp_path: Path) -> None:
    folder, connection_id = store_connection(api, tmp_path)
    api.queue.append(Reply(json=RENAMED))
    reverify(folder, connection_id)
    listed = json.loads(invoke_command("connections", "list", "--json").stdout)
    assert [item["id"] for item in listed] == [connection_id]
