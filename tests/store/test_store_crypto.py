"""Envelope encryption and key file handling, tested on the crypto module directly."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from imlconnect.errors import DecryptionError
from imlconnect.store.crypto import (
    Key,
    Keyring,
    KeyringError,
    create_keyring,
    decrypt_field,
    encrypt_field,
    envelope_key_id,
    key_id,
    parse_secret_keys,
    read_keyring,
    write_keyring,
)


def seal(key: Key, text: bytes = b"secret", row_id: str = "rec1", field: str = "parameters") -> str:
    return encrypt_field(key, text, kind="connection", row_id=row_id, field=field)


def unseal(keyring: Keyring, envelope: str, row_id: str = "rec1", field: str = "parameters") -> bytes:
    return decrypt_field(keyring, envelope, kind="connection", row_id=row_id, field=field)


def test_key_id_is_sha256_prefix() -> None:
    secret = bytes(range(32))
    assert key_id(secret) == hashlib.sha256(secret).hexdigest()[:16]


def test_key_repr_hides_secret() -> None:
    key = Key.generate()
    assert key.encoded() not in repr(key)
    assert key.kid in repr(key)


def test_envelope_round_trip() -> None:
    key = Key.generate()
    envelope = seal(key)
    assert unseal(Keyring(keys=(key,)), envelope) == b"secret"


def test_envelope_format() -> None:
    key = Key.generate()
    version, kid, nonce, ciphertext = seal(key).split(".")
    assert version == "v1"
    assert kid == key.kid
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12
    assert len(base64.urlsafe_b64decode(ciphertext + "==")) == len(b"secret") + 16


def test_nonce_differs_each_time() -> None:
    key = Key.generate()
    assert seal(key) != seal(key)


def test_envelope_key_id() -> None:
    key = Key.generate()
    assert envelope_key_id(seal(key)) == key.kid
    assert envelope_key_id("plain text") is None


def test_other_record_rejected() -> None:
    key = Key.generate()
    envelope = seal(key, row_id="rec1")
    with pytest.raises(DecryptionError, match="rec2"):
        unseal(Keyring(keys=(key,)), envelope, row_id="rec2")


def test_other_field_rejected() -> None:
    key = Key.generate()
    envelope = seal(key, field="parameters")
    with pytest.raises(DecryptionError, match="'data'"):
        unseal(Keyring(keys=(key,)), envelope, field="data")


def test_flipped_byte_rejected() -> None:
    key = Key.generate()
    version, kid, nonce, ciphertext = seal(key).split(".")
    raw = bytearray(base64.urlsafe_b64decode(ciphertext + "=="))
    raw[0] ^= 0x01
    forged = ".".join((version, kid, nonce, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")))
    with pytest.raises(DecryptionError, match="authentication failed"):
        unseal(Keyring(keys=(key,)), forged)


def test_unknown_key_id_rejected() -> None:
    envelope = seal(Key.generate())
    other = Key.generate()
    with pytest.raises(DecryptionError, match="does not contain"):
        unseal(Keyring(keys=(other,)), envelope)


def test_relabelled_key_id_rejected() -> None:
    right, wrong = Key.generate(), Key.generate()
    _, _, nonce, ciphertext = seal(right).split(".")
    forged = f"v1.{wrong.kid}.{nonce}.{ciphertext}"
    with pytest.raises(DecryptionError):
        unseal(Keyring(keys=(wrong, right)), forged)


def test_malformed_envelope_rejected() -> None:
    with pytest.raises(DecryptionError, match="not a v1 envelope"):
        unseal(Keyring(keys=(Key.generate(),)), "garbage")


def test_finds_key_by_id() -> None:
    old, new = Key.generate(), Key.generate()
    envelope = seal(old)
    assert unseal(Keyring(keys=(new, old)), envelope) == b"secret"


def test_parse_secret_key() -> None:
    secret = os.urandom(32)
    keys = parse_secret_keys(base64.urlsafe_b64encode(secret).decode(), source="test")
    assert [key.secret for key in keys] == [secret]


def test_parse_unpadded_key() -> None:
    secret = os.urandom(32)
    text = base64.urlsafe_b64encode(secret).decode().rstrip("=")
    assert parse_secret_keys(text, source="test")[0].secret == secret


def test_parse_key_list() -> None:
    first, second = os.urandom(32), os.urandom(32)
    text = ",".join(base64.urlsafe_b64encode(k).decode() for k in (first, second))
    assert [key.secret for key in parse_secret_keys(text, source="test")] == [first, second]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "short",
        base64.urlsafe_b64encode(os.urandom(16)).decode(),
        base64.urlsafe_b64encode(os.urandom(33)).decode(),
        "!" * 44,
    ],
)
def test_parse_malformed_key(text: str) -> None:
    with pytest.raises(KeyringError) as caught:
        parse_secret_keys(text, source="SOMEWHERE")
    assert "SOMEWHERE" in str(caught.value)
    assert "secrets.token_bytes(32)" in str(caught.value)


def test_malformed_key_not_echoed() -> None:
    text = "Zm9vYmFyYmF6cXV4" * 2
    with pytest.raises(KeyringError) as caught:
        parse_secret_keys(text, source="test")
    assert text not in str(caught.value)


def test_create_keyring_mode(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    keyring = create_keyring(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_keyring(path).kids() == keyring.kids()


def test_create_keyring_keeps_existing(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    first = create_keyring(path)
    second = create_keyring(path)
    assert second.kids() == first.kids()


def test_create_keyring_leaves_no_temp(tmp_path: Path) -> None:
    create_keyring(tmp_path / "k.key")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.key"]


def test_write_keyring_order(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    new, old = Key.generate(), Key.generate()
    write_keyring(path, (new, old, new))
    loaded = read_keyring(path)
    assert loaded.kids() == [new.kid, old.kid]
    assert loaded.active == new
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keyring_file_is_json(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    key = Key.generate()
    write_keyring(path, (key,))
    document = json.loads(path.read_text())
    assert document["format"] == "imlconnect-keyring"
    assert document["keys"] == [key.encoded()]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_wide_key_file_rejected(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k.key"
    write_keyring(path, (Key.generate(),))
    path.chmod(mode)
    with pytest.raises(KeyringError) as caught:
        read_keyring(path)
    assert f"chmod 600 {path}" in str(caught.value)


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"format": "imlconnect-keyring", "keys": []}'])
def test_broken_key_file_rejected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "k.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(KeyringError, match="not a valid imlconnect keyring"):
        read_keyring(path)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="does not exist"):
        read_keyring(tmp_path / "absent.key")
