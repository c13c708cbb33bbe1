"""Envelope encryption of stored fields and the key files that hold the AES-GCM keys.

Every encrypted field is stored as the text `v1.<key id>.<nonce>.<ciphertext>`, where the nonce
(12 bytes) and the ciphertext with its 16-byte GCM tag are unpadded base64url. The key id is the
first 16 hex digits of the SHA-256 of the 256-bit key, so decryption finds the key by the id in
the envelope and keys can rotate. The associated data binds the envelope header, the kind of row,
the row id and the field name: a ciphertext moved to another record or another field fails to
decrypt.

A key file is JSON, `{"format": "imlconnect-keyring", "version": 1, "keys": [...]}`, holding
base64url keys with the active key first. It must have mode 0600; it is written through a temp
file, fsync and `os.replace`, so a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from imlconnect.errors import DecryptionError, StoreError

log = logging.getLogger("imlconnect.store")

#: Environment variable that contains the secret key (base64url of 32 bytes) in place of a key file.
SECRET_KEY_ENV = "IMLCONNECT_SECRET_KEY"

#: Command that prints a fresh key in the form `IMLCONNECT_SECRET_KEY` expects.
KEY_COMMAND = (
    'python -c "import secrets,base64;print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
)

ENVELOPE_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEYRING_FORMAT = "imlconnect-keyring"
KEYRING_VERSION = 1


class KeyringError(StoreError):
    """A key is missing, malformed or kept in a file that others can read."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Decode base64url with or without padding. Raises `binascii.Error` or `ValueError`."""
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)


def key_id(key: bytes) -> str:
    """Return the id of a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class Key:
    """One 256-bit AES-GCM key and its id. The key bytes never appear in `repr`."""

    secret: bytes
    kid: str

    @classmethod
    def from_bytes(cls, secret: bytes) -> Key:
        if len(secret) != KEY_BYTES:
            raise KeyringError(f"A key must be {KEY_BYTES} bytes, not {len(secret)}.")
        return cls(secret=secret, kid=key_id(secret))

    @classmethod
    def generate(cls) -> Key:
        return cls.from_bytes(secrets.token_bytes(KEY_BYTES))

    def encoded(self) -> str:
        """Return the key as padded base64url, the form key files and the environment use."""
        return base64.urlsafe_b64encode(self.secret).decode("ascii")

    def __repr__(self) -> str:
        return f"Key(kid={self.kid!r})"


@dataclass(frozen=True)
class Keyring:
    """The keys a store may decrypt with, the active one first.

    `path` is the key file the keys came from, and a store reloads it when it meets a key id that
    is not in the keyring. `external` is True when the keys came from `IMLCONNECT_SECRET_KEY` or an argument,
    which the store cannot change. With neither, the keys live only in memory.
    """

    keys: tuple[Key, ...]
    path: Path | None = None
    external: bool = False

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyringError("A keyring needs at least one key.")

    @property
    def active(self) -> Key:
        return self.keys[0]

    def find(self, kid: str) -> Key | None:
        """Return the key with this id, or None when the keyring does not contain it."""
        for key in self.keys:
            if key.kid == kid:
                return key
        return None

    def kids(self) -> list[str]:
        return [key.kid for key in self.keys]


def parse_secret_keys(text: str, *, source: str) -> tuple[Key, ...]:
    """Parse one key, or several separated by commas with the active one first.

    `source` names where the text came from (the environment variable or an argument) for the
    error message, which never repeats the text itself. Raises `KeyringError` when a part is not
    base64url of exactly 32 bytes.
    """
    keys: list[Key] = []
    for position, part in enumerate(text.split(","), start=1):
        part = part.strip()
        try:
            raw = _b64decode(part)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            key_source = f"key {position} of {source}" if "," in text else source
            raise KeyringError(
                f"Invalid secret key in {key_source}: it must be base64url of exactly {KEY_BYTES} "
                f"random bytes. Make one with: {KEY_COMMAND}"
            )
        keys.append(Key.from_bytes(raw))
    return tuple(_unique(keys))


def _unique(keys: Iterable[Key]) -> Iterator[Key]:
    seen: set[str] = set()
    for key in keys:
        if key.kid not in seen:
            seen.add(key.kid)
            yield key


def check_key_file_mode(path: Path) -> None:
    """Raise `KeyringError` when the key file can be read or written by the group or others.

    POSIX only: on Windows file modes do not describe access, so nothing is checked there.
    """
    if os.name == "nt":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyringError(
            f"Key file {path} has mode {mode:04o}, which lets other users read the key. "
            f"Restrict it with: chmod 600 {path}"
        )


def read_keyring(path: Path) -> Keyring:
    """Read a key file after checking its mode. Raises `KeyringError` when it is unusable."""
    try:
        check_key_file_mode(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyringError(f"Key file {path} does not exist.") from None
    except OSError as exc:
        raise KeyringError(f"Cannot read key file {path}: {exc.strerror}.") from None
    broken = KeyringError(
        f"Key file {path} is not a valid imlconnect keyring (expected JSON with a non-empty "
        '"keys" list of base64url 32-byte keys). Restore it from a backup.'
    )
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise broken from None
    if not isinstance(document, dict) or document.get("format") != KEYRING_FORMAT:
        raise broken
    encoded = document.get("keys")
    if not isinstance(encoded, list) or not encoded or not all(isinstance(k, str) for k in encoded):
        raise broken
    try:
        keys = parse_secret_keys(",".join(encoded), source=f"key file {path}")
    except KeyringError:
        raise broken from None
    return Keyring(keys=keys, path=path)


def _keyring_bytes(keys: Iterable[Key]) -> bytes:
    document = {
        "format": KEYRING_FORMAT,
        "version": KEYRING_VERSION,
        "keys": [key.encoded() for key in keys],
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _write_temp(folder: Path, content: bytes) -> Path:
    """Write `content` to a new temp file in `folder`, fsync it and return its path.

    `tempfile.mkstemp` creates the file with mode 0600, so the key is never readable by others.
    """
    handle, name = tempfile.mkstemp(prefix=".imlconnect-key-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder entry so a rename inside it survives a crash (a no-op where unsupported)."""
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_keyring(path: Path, keys: Iterable[Key]) -> Keyring:
    """Replace the key file atomically (temp file, fsync, `os.replace`) and return the keyring."""
    unique_keys = tuple(_unique(keys))
    keyring = Keyring(keys=unique_keys, path=path)
    temp = _write_temp(path.parent, _keyring_bytes(unique_keys))
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(path.parent)
    log.info("key file %s written with key ids %s", path, ",".join(keyring.kids()))
    return keyring


def create_keyring(path: Path) -> Keyring:
    """Create a key file with one fresh key, or read the one another process created first.

    The new file is linked into place only when no file exists, so two processes that open a new
    store at the same time end up with the same key.
    """
    key = Key.generate()
    temp = _write_temp(path.parent, _keyring_bytes([key]))
    try:
        os.link(temp, path)
    except FileExistsError:
        return read_keyring(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    _fsync_folder(path.parent)
    log.info("key file %s created with key id %s", path, key.kid)
    return Keyring(keys=(key,), path=path)


@contextlib.contextmanager
def locked_key_file(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<key file>.lock` so only one key rotation runs at a time.

    Uses `fcntl.flock`, so the lock is advisory and POSIX-only.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        # NOTE: without fcntl two rotations of the same key file are not serialized.
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    handle = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _associated_data(kid: str, kind: str, row_id: str, field: str) -> bytes:
    parts = ("imlconnect", ENVELOPE_VERSION, kid, kind, row_id, field)
    return b"\x00".join(part.encode("utf-8") for part in parts)


def encrypt_field(key: Key, plaintext: bytes, *, kind: str, row_id: str, field: str) -> str:
    """Encrypt one field of one row and return its envelope text.

    `kind` names the table (`connection` or `common`), `row_id` the record id or app name, and
    `field` the column. All three are bound as associated data.
    """
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _associated_data(key.kid, kind, row_id, field)
    ciphertext = AESGCM(key.secret).encrypt(nonce, plaintext, aad)
    return ".".join((ENVELOPE_VERSION, key.kid, _b64encode(nonce), _b64encode(ciphertext)))


def envelope_key_id(envelope: str) -> str | None:
    """Return the key id written in an envelope, or None when the text is not an envelope."""
    parts = envelope.split(".")
    if len(parts) != 4 or parts[0] != ENVELOPE_VERSION:
        return None
    return parts[1]


def decrypt_field(keyring: Keyring, envelope: str, *, kind: str, row_id: str, field: str) -> bytes:
    """Decrypt an envelope made by `encrypt_field` for the same kind, row id and field.

    Raises `DecryptionError` naming the row and field when the envelope is malformed, its key id
    is not in the keyring, or authentication fails (wrong key, tampered or moved ciphertext).
    """
    field_label = f"{kind} {row_id!r}, field {field!r}"
    parts = envelope.split(".")
    if len(parts) != 4 or parts[0] != ENVELOPE_VERSION:
        raise DecryptionError(
            f"Cannot decrypt {field_label}: the stored value is not a {ENVELOPE_VERSION} envelope. "
            "The database was changed outside imlconnect; delete the record and save it again."
        )
    _, kid, nonce_text, ciphertext_text = parts
    key = keyring.find(kid)
    if key is None:
        where = f"key file {keyring.path}" if keyring.path else "the configured secret key"
        raise DecryptionError(
            f"Cannot decrypt {field_label}: it was encrypted with key id {kid}, which {where} does not "
            f"contain (it contains {', '.join(keyring.kids())}). Use the key the database was written "
            f"with, through its key file or {SECRET_KEY_ENV}."
        )
    try:
        nonce = _b64decode(nonce_text)
        ciphertext = _b64decode(ciphertext_text)
    except (binascii.Error, ValueError):
        nonce, ciphertext = b"", b""
    if len(nonce) != NONCE_BYTES:
        raise DecryptionError(
            f"Cannot decrypt {field_label}: the stored envelope is corrupt. Delete the record and save it again."
        )
    try:
        return AESGCM(key.secret).decrypt(nonce, ciphertext, _associated_data(kid, kind, row_id, field))
    except InvalidTag:
        raise DecryptionError(
            f"Cannot decrypt {field_label} with key id {kid}: authentication failed, so the stored "
            "value was altered or moved from another record or field. Delete the record and "
            "save it again."
        ) from None
