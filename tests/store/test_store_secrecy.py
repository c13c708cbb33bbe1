"""Secrets at rest: nothing readable in the database files, tampering and moved ciphertexts fail."""

from __future__ import annotations

import base64
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from imlconnect.errors import DecryptionError, ErrorInfo
from imlconnect.store import ConnectionStore, StoredConnection


def canary(tag: str) -> str:
    return f"CANARY-{tag}-{secrets.token_hex(8)}"


def encodings(text: str) -> list[bytes]:
    """Return the text and the stable middle of its base64 forms at every byte alignment."""
    raw = text.encode()
    forms = [raw]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\x00" * shift + raw)
            # The first block mixes in the padding bytes and the last one depends on what follows.
            forms.append(encoded[4:-4])
    return forms


def database_bytes(db_path: Path) -> bytes:
    content = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        content += wal.read_bytes()
    return content


def make(
    store: ConnectionStore, *, parameters: dict[str, Any] | None = None, data: dict[str, Any] | None = None
) -> StoredConnection:
    return store.create(
        app="acme",
        name="acme-key",
        label="Acme",
        parameters={"apiKey": "k"} if parameters is None else parameters,
        data={"token": "t"} if data is None else data,
        metadata=None,
        uid=None,
    )


def envelope_of(db_path: Path, record_id: str, column: str) -> str:
    with sqlite3.connect(db_path) as raw:
        row = raw.execute(f"SELECT {column} FROM connections WHERE id = ?", (record_id,)).fetchone()
    return str(row[0])


def set_envelope(db_path: Path, record_id: str, column: str, value: str) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"UPDATE connections SET {column} = ? WHERE id = ?", (value, record_id))


def flip_ciphertext_byte(envelope: str, index: int = 0) -> str:
    version, kid, nonce, ciphertext = envelope.split(".")
    raw = bytearray(base64.urlsafe_b64decode(ciphertext + "=" * (-len(ciphertext) % 4)))
    raw[index] ^= 0x80
    return ".".join((version, kid, nonce, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")))


def test_no_secret_in_database_files(store: ConnectionStore, db_path: Path) -> None:
    planted = {tag: canary(tag) for tag in ("param", "data", "common", "error")}
    record = make(store, parameters={"apiKey": planted["param"]}, data={"token": planted["data"]})
    store.set_common("acme", {"clientSecret": planted["common"]})
    store.record_failure(record.id, ErrorInfo("RuntimeError", f"echo {planted['error']}"), expected_version=1)
    assert store.get(record.id).parameters["apiKey"] == planted["param"]
    assert store.get_common("acme")["clientSecret"] == planted["common"]
    content = database_bytes(db_path)
    assert len(content) > 0
    for tag, secret in planted.items():
        for form in encodings(secret):
            assert form not in content, f"{tag} canary readable as {form!r}"


def test_canary_check_detects_plain_text(db_path: Path) -> None:
    # The scan must find a secret that is stored in clear, or the test above proves nothing.
    secret = canary("plain")
    db_path.parent.mkdir(exist_ok=True)
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE t (v TEXT)")
        raw.execute("INSERT INTO t VALUES (?)", (base64.b64encode(b"x" + secret.encode()).decode(),))
    content = database_bytes(db_path)
    assert any(form in content for form in encodings(secret))


def test_plain_fields_readable(store: ConnectionStore, db_path: Path) -> None:
    record = make(store)
    with sqlite3.connect(db_path) as raw:
        row = raw.execute(
            "SELECT app, name, label, status, version FROM connections WHERE id = ?", (record.id,)
        )
        assert row.fetchone() == ("acme", "acme-key", "Acme", "verified", 1)


def test_tampered_parameters(store: ConnectionStore, db_path: Path) -> None:
    record = make(store, parameters={"apiKey": "tamper-me"})
    set_envelope(
        db_path, record.id, "parameters", flip_ciphertext_byte(envelope_of(db_path, record.id, "parameters"))
    )
    with pytest.raises(DecryptionError) as caught:
        store.get(record.id)
    assert record.id in str(caught.value)
    assert "parameters" in str(caught.value)
    assert "tamper-me" not in str(caught.value)


def test_tampered_tag(store: ConnectionStore, db_path: Path) -> None:
    record = make(store)
    set_envelope(
        db_path, record.id, "data", flip_ciphertext_byte(envelope_of(db_path, record.id, "data"), -1)
    )
    with pytest.raises(DecryptionError, match="'data'"):
        store.get(record.id)


def test_tampered_error_message(store: ConnectionStore, db_path: Path) -> None:
    record = make(store)
    store.record_failure(record.id, ErrorInfo("RuntimeError", "boom"), expected_version=1)
    envelope = envelope_of(db_path, record.id, "last_error_message")
    set_envelope(db_path, record.id, "last_error_message", flip_ciphertext_byte(envelope))
    with pytest.raises(DecryptionError, match="last_error"):
        store.get(record.id)


def test_tampered_record_listed(store: ConnectionStore, db_path: Path) -> None:
    good, bad = make(store), make(store)
    set_envelope(
        db_path, bad.id, "parameters", flip_ciphertext_byte(envelope_of(db_path, bad.id, "parameters"))
    )
    listed = {record.id: record for record in store.list()}
    assert listed[good.id].decryption_error is None
    assert listed[good.id].parameters == {"apiKey": "k"}
    problem = listed[bad.id].decryption_error
    assert problem is not None
    assert bad.id in problem
    assert listed[bad.id].parameters == {}
    assert listed[bad.id].app == "acme"


def test_swap_between_records(store: ConnectionStore, db_path: Path) -> None:
    first = make(store, parameters={"apiKey": "first"})
    second = make(store, parameters={"apiKey": "second"})
    first_envelope = envelope_of(db_path, first.id, "parameters")
    second_envelope = envelope_of(db_path, second.id, "parameters")
    set_envelope(db_path, first.id, "parameters", second_envelope)
    set_envelope(db_path, second.id, "parameters", first_envelope)
    with pytest.raises(DecryptionError, match=first.id):
        store.get(first.id)
    with pytest.raises(DecryptionError, match=second.id):
        store.get(second.id)


def test_swap_between_fields(store: ConnectionStore, db_path: Path) -> None:
    record = make(store)
    parameters = envelope_of(db_path, record.id, "parameters")
    data = envelope_of(db_path, record.id, "data")
    set_envelope(db_path, record.id, "parameters", data)
    set_envelope(db_path, record.id, "data", parameters)
    with pytest.raises(DecryptionError, match="'parameters'"):
        store.get(record.id)


def test_swap_common_between_apps(store: ConnectionStore, db_path: Path) -> None:
    store.set_common("acme", {"secret": "a"})
    store.set_common("globex", {"secret": "g"})
    with sqlite3.connect(db_path) as raw:
        acme = raw.execute("SELECT common FROM app_common WHERE app = 'acme'").fetchone()[0]
        raw.execute("UPDATE app_common SET common = ? WHERE app = 'globex'", (acme,))
    with pytest.raises(DecryptionError, match="globex"):
        store.get_common("globex")
    assert store.get_common("acme") == {"secret": "a"}


def test_plaintext_in_column_rejected(store: ConnectionStore, db_path: Path) -> None:
    record = make(store)
    set_envelope(db_path, record.id, "parameters", '{"apiKey": "planted"}')
    with pytest.raises(DecryptionError, match="not a v1 envelope"):
        store.get(record.id)
