"""Keys of a store: file modes, environment keys, wrong keys and rotation."""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from imlconnect.errors import DecryptionError, ErrorInfo
from imlconnect.store import ConnectionStore, KeyringError, StoredConnection
from imlconnect.store.crypto import read_keyring


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def make(store: ConnectionStore, secret: str = "s3cret") -> StoredConnection:
    return store.create(
        app="acme",
        name="acme-key",
        label="Acme",
        parameters={"apiKey": secret},
        data={"token": secret + "-token"},
        metadata=None,
        uid=None,
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def key_path(db_path: Path) -> Path:
    return db_path.with_suffix(".key")


def test_db_file_mode(store: ConnectionStore, db_path: Path) -> None:
    make(store)
    assert mode_of(db_path) == 0o600


def test_wal_file_mode(store: ConnectionStore, db_path: Path) -> None:
    make(store)
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists()
    assert mode_of(wal) == 0o600


def test_key_file_beside_db(store: ConnectionStore, db_path: Path) -> None:
    assert store.key_file == key_path(db_path)
    assert mode_of(key_path(db_path)) == 0o600


def test_db_created_with_umask_zero(db_url: str, db_path: Path) -> None:
    previous = os.umask(0)
    try:
        ConnectionStore.open(db_url).close()
    finally:
        os.umask(previous)
    assert mode_of(db_path) == 0o600
    assert mode_of(key_path(db_path)) == 0o600


def test_wide_key_file_rejected(db_url: str, db_path: Path) -> None:
    ConnectionStore.open(db_url).close()
    key_path(db_path).chmod(0o644)
    with pytest.raises(KeyringError, match="chmod 600"):
        ConnectionStore.open(db_url)


def test_missing_key_file_rejected(db_url: str, db_path: Path) -> None:
    with ConnectionStore.open(db_url) as store:
        make(store)
        kid = store.active_key_id
    key_path(db_path).unlink()
    with pytest.raises(KeyringError) as caught:
        ConnectionStore.open(db_url)
    assert kid in str(caught.value)
    assert "Restore the key file" in str(caught.value)
    assert not key_path(db_path).exists()


def test_env_key_used(db_url: str, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_key()
    monkeypatch.setenv("IMLCONNECT_SECRET_KEY", secret)
    with ConnectionStore.open(db_url) as store:
        record = make(store)
        assert store.key_file is None
    assert not key_path(db_path).exists()
    with ConnectionStore.open(db_url, secret_key=secret) as same_key:
        assert same_key.get(record.id).parameters == {"apiKey": "s3cret"}


def test_env_key_malformed(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMLCONNECT_SECRET_KEY", "too-short")
    with pytest.raises(KeyringError) as caught:
        ConnectionStore.open(db_url)
    assert "IMLCONNECT_SECRET_KEY" in str(caught.value)
    assert "base64.urlsafe_b64encode(secrets.token_bytes(32))" in str(caught.value)
    assert "too-short" not in str(caught.value)


def test_argument_key_wins_over_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMLCONNECT_SECRET_KEY", "malformed")
    with ConnectionStore.open(db_url, secret_key=new_key()) as store:
        assert store.get(make(store).id).data == {"token": "s3cret-token"}


def test_wrong_key_read(db_url: str) -> None:
    with ConnectionStore.open(db_url, secret_key=new_key()) as store:
        record = make(store)
    with (
        ConnectionStore.open(db_url, secret_key=new_key()) as wrong,
        pytest.raises(DecryptionError) as caught,
    ):
        wrong.get(record.id)
    assert record.id in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_wrong_key_write(db_url: str) -> None:
    with ConnectionStore.open(db_url, secret_key=new_key()) as store:
        make(store)
        kid = store.active_key_id
    with ConnectionStore.open(db_url, secret_key=new_key()) as wrong, pytest.raises(KeyringError) as caught:
        make(wrong)
    assert kid in str(caught.value)


def test_wrong_key_common(db_url: str) -> None:
    with ConnectionStore.open(db_url, secret_key=new_key()) as store:
        store.set_common("acme", {"clientSecret": "cs"})
    with (
        ConnectionStore.open(db_url, secret_key=new_key()) as wrong,
        pytest.raises(DecryptionError, match="acme"),
    ):
        wrong.get_common("acme")


def test_rotation_keeps_records(db_url: str, db_path: Path) -> None:
    with ConnectionStore.open(db_url) as store:
        first, second = make(store, "one"), make(store, "two")
        store.record_failure(second.id, ErrorInfo("RuntimeError", "bad two"), expected_version=1)
        store.set_common("acme", {"clientSecret": "cs"})
        old_kid = store.active_key_id
        count = store.rotate_keys()
        new_kid = store.active_key_id
        assert store.get(first.id).parameters == {"apiKey": "one"}
    assert count == 3
    assert new_kid != old_kid
    assert read_keyring(key_path(db_path)).kids() == [new_kid]
    assert mode_of(key_path(db_path)) == 0o600
    with ConnectionStore.open(db_url) as reopened:
        loaded = reopened.get(second.id)
        assert loaded.data == {"token": "two-token"}
        assert loaded.last_error is not None
        assert loaded.last_error.message == "bad two"
        assert loaded.key_id == new_kid
        assert reopened.get_common("acme") == {"clientSecret": "cs"}


def test_rotation_retires_old_key(db_url: str, db_path: Path) -> None:
    with ConnectionStore.open(db_url) as store:
        record = make(store)
    old_key = read_keyring(key_path(db_path)).active.encoded()
    with ConnectionStore.open(db_url) as store:
        store.rotate_keys()
    new_key_text = read_keyring(key_path(db_path)).active.encoded()
    with ConnectionStore.open(db_url, secret_key=new_key_text) as only_new:
        assert only_new.get(record.id).parameters == {"apiKey": "s3cret"}
    with ConnectionStore.open(db_url, secret_key=old_key) as only_old, pytest.raises(DecryptionError):
        only_old.get(record.id)


def test_rotation_version_unchanged(store: ConnectionStore) -> None:
    record = make(store)
    store.rotate_keys()
    assert store.get(record.id).version == 1
    saved = store.save_verified(
        record.id, parameters={}, data={}, metadata=None, uid=None, expected_version=1
    )
    assert saved.version == 2


def test_rotation_seen_by_other_store(db_url: str) -> None:
    with ConnectionStore.open(db_url) as stale, ConnectionStore.open(db_url) as rotator:
        record = make(stale)
        rotator.rotate_keys()
        assert stale.get(record.id).parameters == {"apiKey": "s3cret"}
        saved = stale.save_verified(
            record.id, parameters={"apiKey": "after"}, data={}, metadata=None, uid=None, expected_version=1
        )
        assert saved.key_id == rotator.active_key_id
        assert rotator.get(record.id).parameters == {"apiKey": "after"}


def test_rotation_with_env_keys(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_key(), new_key()
    monkeypatch.setenv("IMLCONNECT_SECRET_KEY", old)
    with ConnectionStore.open(db_url) as store:
        record = make(store)
    monkeypatch.setenv("IMLCONNECT_SECRET_KEY", f"{new},{old}")
    with ConnectionStore.open(db_url) as store:
        assert store.rotate_keys() == 1
    monkeypatch.setenv("IMLCONNECT_SECRET_KEY", new)
    with ConnectionStore.open(db_url) as store:
        assert store.get(record.id).data == {"token": "s3cret-token"}


def test_rotation_in_memory() -> None:
    with ConnectionStore.open("sqlite://") as store:
        record = make(store)
        old_kid = store.active_key_id
        assert store.rotate_keys() == 1
        assert store.active_key_id != old_kid
        assert store.get(record.id).key_id == store.active_key_id


def test_rotation_aborts_on_tampered_row(store: ConnectionStore, db_path: Path) -> None:
    good, bad = make(store, "good"), make(store, "bad")
    old_kid = store.active_key_id
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE connections SET data = 'v1.x.y.z' WHERE id = ?", (bad.id,))
    with pytest.raises(DecryptionError, match=bad.id):
        store.rotate_keys()
    with sqlite3.connect(db_path) as raw:
        kids = raw.execute("SELECT key_id FROM connections WHERE id = ?", (good.id,)).fetchone()
    assert kids == (old_kid,)
    assert store.get(good.id).parameters == {"apiKey": "good"}
