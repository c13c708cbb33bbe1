"""Verification with a real SQLite store: what is saved, what re-verification changes, what modules see."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.server import ApiServer, Reply

import imlconnect
from imlconnect.errors import ParametersError, SpecError
from imlconnect.store import ConnectionStore, StoredConnection

API_KEY = "sk-notes-7d41c09e"
PARAMETER_TOKEN = "param-token-1f2e"
COMMON = {"clientTag": "ct-common-5521aa"}
PARAMETERS = [
    {"name": "apiKey", "type": "password", "label": "API key", "required": True},
    {"name": "token", "type": "text", "label": "Token"},
]
ME = {"id": 7001, "email": "ada@example.com", "token": "tok-data-1", "account": {"id": 7, "plan": "free"}}



@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConnectionStore]:
    opened = ConnectionStore.open(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        yield opened
    finally:
        opened.close()


def communication(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "headers": {"Authorization": "Bearer {{parameters.apiKey}}", "X-Client": "{{common.clientTag}}"},
        "response": {
            "uid": "{{body.id}}",
            "data": {
                "token": "{{body.token}}",
                "account": {"id": "{{body.account.id}}", "plan": "{{body.account.plan}}"},
            },
            "metadata": {"type": "email", "value": "{{body.email}}"},
            "error": {
                "message": "[{{statusCode}}] {{body.message}}",
                "401": {"type": "InvalidAccessTokenError"},
            },
        },
    }


def write_bundle(folder: Path, name: str, url: str, *, app: str = "notes",
                 common: dict[str, Any] | None = None) -> Path:
    bundle: dict[str, Any] = {"app": app, "name": "notes-key", "label": "Notes",
                              "communication": communication(url), "parameters": PARAMETERS}
    if common is not None:
        bundle["common"] = common
    path = folder / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return path


def verify_and_store(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> StoredConnection:
    """Verify the notes connection against `api`, store it, and return the stored record."""
    api.queue.append(Reply(json=ME))
    path = write_bundle(tmp_path, "notes", f"{api.url}/me", common=COMMON)
    result = imlconnect.verify(path, {"apiKey": API_KEY, "token": PARAMETER_TOKEN}, store=store, save=True,
                               allow_private_network=True)
    assert result.ok, result.error
    assert result.connection_id is not None
    api.requests.clear()
    return store.get(result.connection_id)


def closed_port() -> int:
    """Return a loopback port with no listener, so that a connection to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- first verification ---------------------------------------------------------------------------


def test_verified_connection_stored(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    record = verify_and_store(api, store, tmp_path)
    assert record.app == "notes"
    assert record.name == "notes-key"
    assert record.parameters == {"apiKey": API_KEY, "token": PARAMETER_TOKEN}
    assert record.data == {"token": "tok-data-1", "account": {"id": 7, "plan": "free"}}
    assert record.metadata == {"type": "email", "value": "ada@example.com"}
    assert record.uid == "7001"
    assert record.status == "verified"
    assert record.last_error is None
    assert record.version == 1


def test_unsaved_run_stores_nothing(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    api.queue.append(Reply(json=ME))
    path = write_bundle(tmp_path, "notes", f"{api.url}/me", common=COMMON)
    result = imlconnect.verify(path, {"apiKey": API_KEY}, store=store, save=False, allow_private_network=True)
    assert result.ok is True
    assert result.connection_id is None
    assert store.list() == []


# --- re-verification ------------------------------------------------------------------------------


def test_reverify_merges_data(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    before = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json={"id": 7001, "email": "ada@example.com", "token": "tok-data-2",
                                 "account": {"plan": "pro"}}))
    path = write_bundle(tmp_path, "again", f"{api.url}/me")
    result = imlconnect.verify(path, None, store=store, save=True, connection_id=before.id,
                               allow_private_network=True)
    assert result.ok is True
    assert result.connection_id == before.id
    after = store.get(before.id)
    # `account.id` is undefined in the new response, so the stored value stays.
    assert after.data == {"token": "tok-data-2", "account": {"id": 7, "plan": "pro"}}
    assert after.status == "verified"
    assert after.version == before.version + 1
    assert after.parameters == before.parameters


def test_reverify_uses_stored_parameters(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    before = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json=ME))
    path = write_bundle(tmp_path, "again", f"{api.url}/me")
    imlconnect.verify(path, None, store=store, save=True, connection_id=before.id, allow_private_network=True)
    assert api.requests[0].header("Authorization") == f"Bearer {API_KEY}"


def failing_spec(kind: str, api: ApiServer, folder: Path) -> Path:
    """Return a spec of the notes connection whose next verification fails in the way `kind` names."""
    if kind == "rejected":
        api.queue.append(Reply(401, json={"message": "API key revoked"}))
        return write_bundle(folder, "again", f"{api.url}/me")
    if kind == "refused":
        return write_bundle(folder, "again", f"http://127.0.0.1:{closed_port()}/me")
    api.queue.append(Reply(200, body="{not json", headers={"Content-Type": "application/json"}))
    return write_bundle(folder, "again", f"{api.url}/me")


FAILURES = [
    ("rejected", "InvalidAccessTokenError", 401),
    ("refused", "ConnectionError", None),
    ("bad body", "RuntimeError", 200),
]


@pytest.mark.parametrize(("kind", "error_type", "status"), FAILURES)
def test_failed_reverify_keeps_record(api: ApiServer, store: ConnectionStore, tmp_path: Path,
                                      kind: str, error_type: str, status: int | None) -> None:
    before = verify_and_store(api, store, tmp_path)
    path = failing_spec(kind, api, tmp_path)
    result = imlconnect.verify(path, None, store=store, save=True, connection_id=before.id,
                               allow_private_network=True)
    assert result.ok is False
    assert result.error is not None
    after = store.get(before.id)
    assert after.status == "failed"
    assert after.last_error is not None
    assert after.last_error.type == error_type
    assert after.last_error.status == status
    assert after.last_error.message == result.error.message
    assert after.parameters == before.parameters
    assert after.data == before.data
    assert after.metadata == before.metadata
    assert after.uid == before.uid
    assert after.verified_at == before.verified_at
    assert after.version == before.version + 1


def test_failed_reverify_result_keeps_data(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    before = verify_and_store(api, store, tmp_path)
    path = failing_spec("rejected", api, tmp_path)
    result = imlconnect.verify(path, None, store=store, save=True, connection_id=before.id,
                               allow_private_network=True)
    assert result.error is not None
    assert result.error.message == "[401] API key revoked"
    assert result.data == before.data
    assert result.metadata == before.metadata
    assert result.uid == before.uid


def test_reverify_after_failure_recovers(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    before = verify_and_store(api, store, tmp_path)
    imlconnect.verify(failing_spec("rejected", api, tmp_path), None, store=store, save=True,
                      connection_id=before.id, allow_private_network=True)
    api.queue.append(Reply(json=ME))
    imlconnect.verify(write_bundle(tmp_path, "again", f"{api.url}/me"), None, store=store, save=True,
                      connection_id=before.id, allow_private_network=True)
    after = store.get(before.id)
    assert after.status == "verified"
    assert after.last_error is None
    assert after.version == before.version + 2


def test_bad_parameters_change_nothing(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    before = verify_and_store(api, store, tmp_path)
    path = write_bundle(tmp_path, "again", f"{api.url}/me")
    with pytest.raises(ParametersError) as raised:
        imlconnect.verify(path, {"apiKey": 12345}, store=store, save=True, connection_id=before.id,
                          allow_private_network=True)
    assert [problem.path for problem in raised.value.problems] == ["parameters.apiKey"]
    assert store.get(before.id) == before
    assert api.requests == []


def test_bad_spec_changes_nothing(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    before = verify_and_store(api, store, tmp_path)
    broken = tmp_path / "broken.json"
    unclosed_call = f"{api.url}/{{{{ifempty(parameters.a, }}}}"
    broken.write_text(json.dumps({"app": "notes", "name": "notes-key",
                                  "communication": {"url": unclosed_call}, "parameters": PARAMETERS}))
    with pytest.raises(SpecError):
        imlconnect.verify(broken, None, store=store, save=True, connection_id=before.id,
                          allow_private_network=True)
    assert store.get(before.id) == before
    assert api.requests == []


# --- common data ---------------------------------------------------------------------------------


def test_common_visible_in_connection(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    api.queue.append(Reply(json=ME))
    path = write_bundle(tmp_path, "notes", f"{api.url}/me", common=COMMON)
    imlconnect.verify(path, {"apiKey": API_KEY}, store=store, save=True, allow_private_network=True)
    assert api.requests[0].header("X-Client") == COMMON["clientTag"]


def test_common_saved_per_app(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    verify_and_store(api, store, tmp_path)
    assert store.get_common("notes") == COMMON
    assert store.get_common("other-app") == {}


def test_stored_common_used_by_app(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json=ME))
    # This spec of the same app has no common data of its own, so the stored one applies.
    path = write_bundle(tmp_path, "no-common", f"{api.url}/me")
    imlconnect.verify(path, {"apiKey": API_KEY}, store=store, allow_private_network=True)
    assert api.requests[0].header("X-Client") == COMMON["clientTag"]


def test_stored_common_not_shared(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json=ME))
    path = write_bundle(tmp_path, "other", f"{api.url}/me", app="other-app")
    imlconnect.verify(path, {"apiKey": API_KEY}, store=store, allow_private_network=True)
    assert api.requests[0].header("X-Client") is None


# --- module-style requests ----------------------------------------------------------------------


def write_module_spec(folder: Path, request: dict[str, Any]) -> Path:
    path = folder / "list-items.json"
    path.write_text(json.dumps(request))
    return path


def module_request(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "method": "POST",
        "headers": {"Authorization": "Bearer {{connection.apiKey}}", "X-Token": "{{connection.token}}",
                    "X-Common": "{{common.clientTag}}"},
        "qs": {"plan": "{{connection.account.plan}}", "tag": "{{common.clientTag}}"},
        "body": {"owner": "{{connection.apiKey}}", "common": "{{common}}"},
    }


def test_module_reads_connection(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    record = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json={"items": [{"id": 1, "title": "First"}]}))
    spec = write_module_spec(tmp_path, module_request(f"{api.url}/items"))
    result = imlconnect.run_module_request(spec, record.id, store=store, allow_private_network=True)
    assert result.ok is True
    assert result.error is None
    assert result.body == {"items": [{"id": 1, "title": "First"}]}
    sent = api.requests[0]
    assert sent.method == "POST"
    assert sent.path == "/items"
    assert sent.header("Authorization") == f"Bearer {API_KEY}"
    assert sent.json() == {"owner": API_KEY}


def test_module_data_wins_clash(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    record = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json={}))
    spec = write_module_spec(tmp_path, module_request(f"{api.url}/items"))
    imlconnect.run_module_request(spec, record.id, store=store, allow_private_network=True)
    # Both the parameters and the data have `token`, and the data's value wins.
    assert api.requests[0].header("X-Token") == "tok-data-1"
    assert api.requests[0].query == "plan=free"


def test_module_cannot_see_common(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    record = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(json={}))
    spec = write_module_spec(tmp_path, module_request(f"{api.url}/items"))
    imlconnect.run_module_request(spec, record.id, store=store, allow_private_network=True)
    sent = api.requests[0]
    assert sent.header("X-Common") is None
    assert "tag=" not in sent.query
    assert "common" not in sent.json()
    raw = repr(sent.headers) + sent.path + sent.query + sent.body.decode()
    assert COMMON["clientTag"] not in raw


def test_module_error_status(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    record = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(404, json={"message": "No such list"}))
    request = {**module_request(f"{api.url}/items"),
               "response": {"error": {"message": "[{{statusCode}}] {{body.message}}", "type": "DataError"}}}
    result = imlconnect.run_module_request(write_module_spec(tmp_path, request), record.id, store=store,
                                           allow_private_network=True)
    assert result.ok is False
    assert result.error is not None
    assert result.error.type == "DataError"
    assert result.error.message == "[404] No such list"
    assert result.error.status == 404


def test_module_request_keeps_record(api: ApiServer, store: ConnectionStore, tmp_path: Path) -> None:
    record = verify_and_store(api, store, tmp_path)
    api.queue.append(Reply(401, json={"message": "revoked"}))
    spec = write_module_spec(tmp_path, module_request(f"{api.url}/items"))
    imlconnect.run_module_request(spec, record.id, store=store, allow_private_network=True)
    assert store.get(record.id) == record


def test_reverify_with_other_app_rejected(api: ApiServer, tmp_path: Path) -> None:
    from imlconnect.errors import UsageError

    store = imlconnect.store.ConnectionStore.open(f"sqlite:///{tmp_path / 'apps.db'}")
    api.routes[("GET", "/me")] = Reply(json={})
    first = tmp_path / "first-app.json"
    second = tmp_path / "second-app.json"
    for path in (first, second):
        path.write_text(json.dumps({"name": "apiKey", "communication": {"url": f"{api.url}/me",
                                    "headers": {"X-Key": "{{parameters.apiKey}}"}},
                                    "parameters": [{"name": "apiKey", "type": "password", "required": True}]}))
    stored = imlconnect.verify(first, {"apiKey": "first-key-1"}, store=store, save=True, allow_private_network=True)
    before = len(api.requests)
    with pytest.raises(UsageError, match="belongs to first-app/apiKey"):
        imlconnect.verify(second, {}, store=store, save=True, connection_id=stored.connection_id,
                          allow_private_network=True)
    assert len(api.requests) == before
    assert store.get(stored.connection_id).version == 1
