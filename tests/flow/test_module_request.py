"""Module-style requests: the app base they inherit, and output, iterate and limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import imlconnect
import imlconnect.spec
from imlconnect.errors import SpecError
from imlconnect.store import ConnectionStore
from support.server import ApiServer, Reply

ITEMS = {"items": [{"id": 1, "on": True}, {"id": 2, "on": False}, {"id": 3, "on": True}, {"id": 4, "on": True}]}


@pytest.fixture
def store(tmp_path: Path) -> ConnectionStore:
    return ConnectionStore.open(f"sqlite:///{tmp_path / 'c.db'}")


def app_with_module(tmp_path: Path, base: dict[str, Any], module: Any) -> Path:
    (tmp_path / "app" / "general").mkdir(parents=True)
    (tmp_path / "app" / "modules").mkdir()
    (tmp_path / "app" / "general" / "base.iml.json").write_text(json.dumps(base))
    spec = tmp_path / "app" / "modules" / "list.iml.json"
    spec.write_text(json.dumps(module))
    return spec


def stored(store: ConnectionStore, api: ApiServer) -> str:
    record = store.create(app="a", name="n", label="l", parameters={"apiKey": "k-1234", "host": api.url},
                          data={}, metadata=None, uid=None)
    return record.id


def test_base_url_and_headers_inherited(api: ApiServer, tmp_path: Path, store: ConnectionStore) -> None:
    api.queue.append(Reply(json={"ok": True}))
    spec = app_with_module(tmp_path, {"baseUrl": "{{connection.host}}/v1",
                                      "headers": {"X-Key": "{{connection.apiKey}}", "X-Both": "base"}},
                           {"url": "/items", "headers": {"X-Both": "module"}})
    result = imlconnect.run_module_request(spec, stored(store, api), store=store, allow_private_network=True)
    assert result.ok
    assert result.body == {"ok": True}
    sent = api.requests[0]
    assert sent.path == "/v1/items"
    assert sent.header("X-Key") == "k-1234"
    assert sent.header("X-Both") == "module"


def test_base_error_applies(api: ApiServer, tmp_path: Path, store: ConnectionStore) -> None:
    api.queue.append(Reply(403, json={"msg": "nope"}))
    spec = app_with_module(tmp_path, {"baseUrl": "{{connection.host}}",
                                      "response": {"error": {"message": "Base says {{body.msg}}", "type": "DataError"}}},
                           {"url": "/items"})
    result = imlconnect.run_module_request(spec, stored(store, api), store=store, allow_private_network=True)
    assert result.error is not None
    assert (result.error.type, result.error.message, result.error.status) == ("DataError", "Base says nope", 403)


def test_iterate_condition_limit_output(api: ApiServer, tmp_path: Path, store: ConnectionStore) -> None:
    api.queue.append(Reply(json=ITEMS))
    spec = app_with_module(tmp_path, {"baseUrl": "{{connection.host}}"}, {
        "url": "/items",
        "response": {"iterate": {"container": "{{body.items}}", "condition": "{{item.on}}"},
                     "output": {"id": "{{item.id}}"}, "limit": 2},
    })
    result = imlconnect.run_module_request(spec, stored(store, api), store=store, allow_private_network=True)
    assert result.body == [{"id": 1}, {"id": 3}]


def test_output_without_iterate(api: ApiServer, tmp_path: Path, store: ConnectionStore) -> None:
    api.queue.append(Reply(json=ITEMS))
    spec = app_with_module(tmp_path, {"baseUrl": "{{connection.host}}"},
                           {"url": "/items", "response": {"output": "{{length(body.items)}}"}})
    result = imlconnect.run_module_request(spec, stored(store, api), store=store, allow_private_network=True)
    assert result.body == 4


def test_iterate_string_form(api: ApiServer, tmp_path: Path, store: ConnectionStore) -> None:
    api.queue.append(Reply(json=ITEMS))
    spec = app_with_module(tmp_path, {"baseUrl": "{{connection.host}}"},
                           {"url": "/items", "response": {"iterate": "{{body.items}}", "output": "{{item.id}}"}})
    result = imlconnect.run_module_request(spec, stored(store, api), store=store, allow_private_network=True)
    assert result.body == [1, 2, 3, 4]


def test_pagination_is_a_warning(tmp_path: Path) -> None:
    spec = app_with_module(tmp_path, {"baseUrl": "https://api.example.com"},
                           {"url": "/items", "pagination": {"qs": {"page": "{{2}}"}}})
    loaded = imlconnect.spec.load_request_spec(spec)
    assert [w.path for w in loaded.warnings] == ["request.pagination"]


def test_connection_directives_rejected(tmp_path: Path) -> None:
    spec = app_with_module(tmp_path, {"baseUrl": "https://api.example.com"},
                           {"url": "/items", "response": {"uid": "{{body.id}}"}})
    with pytest.raises(SpecError) as raised:
        imlconnect.spec.load_request_spec(spec)
    assert [p.path for p in raised.value.problems] == ["request.response.uid"]


def test_base_two_levels_up(api: ApiServer, tmp_path: Path, store: ConnectionStore) -> None:
    api.queue.append(Reply(json={"ok": True}))
    (tmp_path / "app" / "general").mkdir(parents=True)
    (tmp_path / "app" / "general" / "base.iml.json").write_text(json.dumps({"baseUrl": "{{connection.host}}/v2"}))
    folder = tmp_path / "app" / "modules" / "listItems"
    folder.mkdir(parents=True)
    spec = folder / "listItems.communication.iml.json"
    spec.write_text(json.dumps({"url": "/items"}))
    result = imlconnect.run_module_request(spec, stored(store, api), store=store, allow_private_network=True)
    assert result.ok
    assert api.requests[0].path == "/v2/items"
