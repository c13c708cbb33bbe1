"""Records: create, read, list, update, failures, conflicts and default locations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from imlconnect.errors import ConflictError, ConnectionNotFoundError, ErrorInfo, StoreError
from imlconnect.store import ConnectionStore, StoredConnection


def make(store: ConnectionStore, **overrides: Any) -> StoredConnection:
    values: dict[str, Any] = {
        "app": "acme",
        "name": "acme-key",
        "label": "Acme (ops)",
        "parameters": {"apiKey": "k-123", "region": "eu", "nested": {"list": [1, 2.5, None]}},
        "data": {"accessToken": "t-456", "expires": 3600},
        "metadata": {"type": "email", "value": "ops@example.com"},
        "uid": "user-42",
    }
    values.update(overrides)
    return store.create(**values)


def test_create_returns_version_one(store: ConnectionStore) -> None:
    record = make(store)
    assert record.version == 1
    assert record.status == "verified"
    assert record.last_error is None
    assert len(record.id) == 12
    assert record.id.isalnum()


def test_round_trip_every_field(store: ConnectionStore) -> None:
    created = make(store)
    loaded = store.get(created.id)
    assert loaded.app == "acme"
    assert loaded.name == "acme-key"
    assert loaded.label == "Acme (ops)"
    assert loaded.parameters == {"apiKey": "k-123", "region": "eu", "nested": {"list": [1, 2.5, None]}}
    assert loaded.data == {"accessToken": "t-456", "expires": 3600}
    assert loaded.metadata == {"type": "email", "value": "ops@example.com"}
    assert loaded.uid == "user-42"
    assert loaded.status == "verified"
    assert loaded.last_error is None
    assert loaded.version == 1
    assert loaded.created_at == created.created_at
    assert loaded.updated_at == created.updated_at
    assert loaded.verified_at == created.verified_at
    assert loaded.key_id == store.active_key_id
    assert loaded.decryption_error is None


def test_timestamps_are_aware_utc(store: ConnectionStore) -> None:
    before = datetime.now(UTC)
    loaded = store.get(make(store).id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=5) <= loaded.created_at <= datetime.now(UTC)


def test_round_trip_survives_reopen(db_url: str) -> None:
    with ConnectionStore.open(db_url) as first:
        created = make(first)
    with ConnectionStore.open(db_url) as second:
        loaded = second.get(created.id)
    assert loaded.parameters == created.parameters
    assert loaded.data == created.data


def test_dates_and_bytes_stored_as_text(store: ConnectionStore) -> None:
    moment = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    created = make(store, data={"expires": moment, "blob": b"\x00\x01"})
    loaded = store.get(created.id)
    assert loaded.data["expires"] == "2024-05-01T10:00:00.000Z"
    assert loaded.data["blob"] == "AAE="


def test_metadata_type_defaults_to_text(store: ConnectionStore) -> None:
    created = make(store, metadata={"value": "someone"})
    assert store.get(created.id).metadata == {"type": "text", "value": "someone"}


def test_metadata_and_uid_may_be_none(store: ConnectionStore) -> None:
    created = make(store, metadata=None, uid=None)
    loaded = store.get(created.id)
    assert loaded.metadata is None
    assert loaded.uid is None


def test_create_rejects_non_object_parameters(store: ConnectionStore) -> None:
    with pytest.raises(StoreError, match="parameters"):
        make(store, parameters=["not", "an", "object"])


def test_create_rejects_empty_app(store: ConnectionStore) -> None:
    with pytest.raises(StoreError, match="app name"):
        make(store, app="")


def test_repr_hides_secrets(store: ConnectionStore) -> None:
    text = repr(make(store))
    assert "k-123" not in text
    assert "t-456" not in text


def test_get_unknown_id(store: ConnectionStore) -> None:
    with pytest.raises(ConnectionNotFoundError) as caught:
        store.get("nosuchid0000")
    assert "nosuchid0000" in str(caught.value)
    assert "imlconnect connections list" in str(caught.value)


def test_list_oldest_first(store: ConnectionStore) -> None:
    ids = [make(store, label=f"n{i}").id for i in range(3)]
    assert [record.id for record in store.list()] == ids


def test_list_filters_by_app(store: ConnectionStore) -> None:
    make(store, app="acme")
    other = make(store, app="globex")
    assert [record.id for record in store.list(app="globex")] == [other.id]


def test_list_empty_store(store: ConnectionStore) -> None:
    assert store.list() == []


def test_delete_removes_record(store: ConnectionStore) -> None:
    record = make(store)
    store.delete(record.id)
    with pytest.raises(ConnectionNotFoundError):
        store.get(record.id)


def test_delete_unknown_id(store: ConnectionStore) -> None:
    with pytest.raises(ConnectionNotFoundError):
        store.delete("nosuchid0000")


def test_delete_with_stale_version(store: ConnectionStore) -> None:
    record = make(store)
    store.save_verified(record.id, parameters={}, data={}, metadata=None, uid=None, expected_version=1)
    with pytest.raises(ConflictError):
        store.delete(record.id, expected_version=1)
    assert store.get(record.id).version == 2


def test_save_verified_replaces_state(store: ConnectionStore) -> None:
    record = make(store)
    saved = store.save_verified(
        record.id,
        parameters={"apiKey": "k-new"},
        data={"accessToken": "t-new"},
        metadata={"type": "text", "value": "renamed"},
        uid="user-43",
        expected_version=1,
    )
    loaded = store.get(record.id)
    assert saved.version == 2
    assert loaded.version == 2
    assert loaded.parameters == {"apiKey": "k-new"}
    assert loaded.data == {"accessToken": "t-new"}
    assert loaded.metadata == {"type": "text", "value": "renamed"}
    assert loaded.uid == "user-43"
    assert loaded.created_at == record.created_at
    assert loaded.verified_at > record.verified_at
    assert saved.parameters == loaded.parameters


def test_save_verified_clears_failure(store: ConnectionStore) -> None:
    record = make(store)
    store.record_failure(record.id, ErrorInfo("RuntimeError", "boom", 500), expected_version=1)
    store.save_verified(record.id, parameters={}, data={}, metadata=None, uid=None, expected_version=2)
    loaded = store.get(record.id)
    assert loaded.status == "verified"
    assert loaded.last_error is None


def test_save_verified_unknown_id(store: ConnectionStore) -> None:
    with pytest.raises(ConnectionNotFoundError):
        store.save_verified(
            "nosuchid0000", parameters={}, data={}, metadata=None, uid=None, expected_version=1
        )


def test_update_uses_record_version(store: ConnectionStore) -> None:
    record = make(store)
    record.data = {"accessToken": "t-updated"}
    updated = store.update(record)
    assert updated.version == 2
    assert store.get(record.id).data == {"accessToken": "t-updated"}


def test_record_failure_keeps_good_state(store: ConnectionStore) -> None:
    record = make(store)
    error = ErrorInfo(
        "InvalidAccessTokenError", "Token expired for t-456", 401, [{"path": "x", "message": "y"}]
    )
    failed = store.record_failure(record.id, error, expected_version=1)
    loaded = store.get(record.id)
    assert failed.version == 2
    assert loaded.status == "failed"
    assert loaded.last_error == error
    assert loaded.parameters == record.parameters
    assert loaded.data == record.data
    assert loaded.metadata == record.metadata
    assert loaded.uid == record.uid
    assert loaded.verified_at == record.verified_at
    assert loaded.updated_at > record.updated_at


def test_record_failure_without_status(store: ConnectionStore) -> None:
    record = make(store)
    store.record_failure(record.id, ErrorInfo("ConnectionError", "refused"), expected_version=1)
    last_error = store.get(record.id).last_error
    assert last_error is not None
    assert last_error.status is None
    assert last_error.message == "refused"


def test_record_failure_stale_version(store: ConnectionStore) -> None:
    record = make(store)
    store.record_failure(record.id, ErrorInfo("RuntimeError", "first"), expected_version=1)
    with pytest.raises(ConflictError):
        store.record_failure(record.id, ErrorInfo("RuntimeError", "second"), expected_version=1)
    last_error = store.get(record.id).last_error
    assert last_error is not None
    assert last_error.message == "first"


def test_two_stores_conflict(db_url: str) -> None:
    with ConnectionStore.open(db_url) as first, ConnectionStore.open(db_url) as second:
        record = make(first)
        seen_by_first = first.get(record.id)
        seen_by_second = second.get(record.id)
        first.save_verified(
            record.id,
            parameters={"apiKey": "first"},
            data={"by": "first"},
            metadata=None,
            uid=None,
            expected_version=seen_by_first.version,
        )
        with pytest.raises(ConflictError) as caught:
            second.save_verified(
                record.id,
                parameters={"apiKey": "second"},
                data={"by": "second"},
                metadata=None,
                uid=None,
                expected_version=seen_by_second.version,
            )
        final = second.get(record.id)
    assert "version 2" in str(caught.value)
    assert "retry" in str(caught.value)
    assert final.parameters == {"apiKey": "first"}
    assert final.data == {"by": "first"}
    assert final.version == 2


def test_common_round_trip(store: ConnectionStore) -> None:
    store.set_common("acme", {"clientId": "id-1", "clientSecret": "cs-1"})
    assert store.get_common("acme") == {"clientId": "id-1", "clientSecret": "cs-1"}


def test_common_replaced(store: ConnectionStore) -> None:
    store.set_common("acme", {"clientSecret": "old"})
    store.set_common("acme", {"clientSecret": "new"})
    assert store.get_common("acme") == {"clientSecret": "new"}


def test_common_missing_is_empty(store: ConnectionStore) -> None:
    assert store.get_common("nobody") == {}


def test_common_per_app(store: ConnectionStore) -> None:
    store.set_common("acme", {"secret": "a"})
    store.set_common("globex", {"secret": "g"})
    assert store.get_common("acme") == {"secret": "a"}
    assert store.get_common("globex") == {"secret": "g"}


def test_schema_version_row(store: ConnectionStore, db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute("SELECT id, version FROM schema_version").fetchall()
    assert rows == [(1, 1)]


def test_newer_schema_rejected(db_url: str, db_path: Path) -> None:
    ConnectionStore.open(db_url).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="Upgrade imlconnect"):
        ConnectionStore.open(db_url)


def test_sqlite_uses_wal(store: ConnectionStore, db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_env_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("IMLCONNECT_DB", f"sqlite:///{path}")
    with ConnectionStore.open() as store:
        make(store)
    assert path.exists()
    assert (tmp_path / "from-env.key").exists()


def test_default_location(isolated_env: Path) -> None:
    with ConnectionStore.open() as store:
        record = make(store)
    folder = isolated_env / "imlconnect"
    assert (folder / "connections.db").exists()
    assert (folder / "connections.key").exists()
    with ConnectionStore.open() as reopened:
        assert reopened.get(record.id).uid == "user-42"


def test_missing_folder_rejected(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        ConnectionStore.open(f"sqlite:///{tmp_path / 'absent' / 'x.db'}")


def test_memory_database() -> None:
    with ConnectionStore.open("sqlite://") as store:
        record = make(store)
        assert store.get(record.id).data == record.data
        assert store.key_file is None


def test_invalid_url_rejected() -> None:
    with pytest.raises(StoreError, match="Invalid database URL"):
        ConnectionStore.open("not a url")


def test_save_verified_new_label(store: ConnectionStore) -> None:
    record = make(store)
    store.save_verified(
        record.id, parameters={}, data={}, metadata=None, uid=None, expected_version=1, label="Renamed"
    )
    assert store.get(record.id).label == "Renamed"


def test_save_verified_keeps_label(store: ConnectionStore) -> None:
    record = make(store)
    store.save_verified(record.id, parameters={}, data={}, metadata=None, uid=None, expected_version=1)
    assert store.get(record.id).label == "Acme (ops)"


def test_record_failure_rejects_long_type(store: ConnectionStore) -> None:
    record = make(store)
    with pytest.raises(StoreError, match="error type"):
        store.record_failure(record.id, ErrorInfo("E" * 65, "boom"), expected_version=1)
    assert store.get(record.id).status == "verified"
