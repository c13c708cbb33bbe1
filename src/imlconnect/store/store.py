"""The connection store: encrypted connection records and app common data in SQL.

Each public write runs as one database transaction, so a process killed in the middle of a save
leaves either the old record or the new one, never a mix. Updates use optimistic concurrency: the
caller passes the version it read, and the UPDATE matches `id` and `version` in one statement, so
of two writers that read the same version exactly one succeeds.

SQLite is the default and gets WAL journaling, `synchronous=FULL`, a busy timeout and
`BEGIN IMMEDIATE` for writes. Every other statement is portable SQL, so a PostgreSQL URL
(`postgresql+psycopg://...`) works with the `postgres` extra installed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from imlconnect.errors import (
    ConflictError,
    ConnectionNotFoundError,
    DecryptionError,
    ErrorInfo,
    StoreError,
)
from imlconnect.iml.values import to_json_compatible
from imlconnect.store import crypto
from imlconnect.store.crypto import Key, Keyring, KeyringError
from imlconnect.store.models import (
    SCHEMA_VERSION,
    Base,
    CommonRow,
    ConnectionRow,
    KeyState,
    SchemaVersion,
)
from imlconnect.store.paths import is_sqlite, key_file_path, resolve_database_url, sqlite_file_path

log = logging.getLogger("imlconnect.store")

ConnectionStatus = Literal["verified", "failed"]

#: Seconds an SQLite connection waits for another writer's lock before failing.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

#: Execution option read by the SQLite `begin` hook: `DEFERRED` for reads, `IMMEDIATE` for writes.
_BEGIN_MODE = "imlconnect_sqlite_begin"

_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 12
_MAX_NAME_LENGTH = 255
_MAX_ERROR_TYPE_LENGTH = 64
_CONNECTION = "connection"
_COMMON = "common"
_LIST_HINT = "List the stored ids with: imlconnect connections list"


@dataclass
class StoredConnection:
    """A stored connection with its secrets decrypted.

    `version` starts at 1 and grows with every save or recorded failure; pass it back as
    `expected_version`. `parameters`, `data` and `last_error` are left out of `repr` because they
    hold secrets. `verified_at` is the time of the last successful verification. When
    `decryption_error` is set (only in the results of `ConnectionStore.list`), the encrypted
    fields could not be read: `parameters` and `data` are empty and `last_error.message` is empty.
    """

    id: str
    app: str
    name: str
    label: str
    parameters: dict[str, Any] = field(repr=False)
    data: dict[str, Any] = field(repr=False)
    metadata: dict[str, Any] | None
    uid: str | None
    status: ConnectionStatus
    last_error: ErrorInfo | None = field(repr=False)
    created_at: datetime
    updated_at: datetime
    verified_at: datetime
    version: int
    key_id: str = ""
    decryption_error: str | None = None


def new_connection_id() -> str:
    """Return a random id of 12 lowercase letters and digits (about 62 bits)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    """Attach UTC to the naive datetimes that SQLite returns, and convert aware ones to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _encode_json(value: Any, *, description: str) -> bytes:
    """Serialize a runtime value as compact UTF-8 JSON, with dates as ISO text and bytes as base64."""
    if not isinstance(value, Mapping):
        raise StoreError(f"The {description} to store must be an object, not {type(value).__name__}.")
    plain = to_json_compatible(dict(value), for_output=False)
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _check_name(value: str, description: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_NAME_LENGTH:
        raise StoreError(
            f"The {description} must be a non-empty string of at most {_MAX_NAME_LENGTH} characters."
        )
    return value


def _metadata_columns(metadata: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """Split metadata into its type and value columns. A missing type means `text`."""
    if metadata is None:
        return None, None
    if not isinstance(metadata, Mapping):
        raise StoreError(
            f"Connection metadata must be an object with type and value, not {type(metadata).__name__}."
        )
    kind = metadata.get("type") or "text"
    value = metadata.get("value")
    plain_value = to_json_compatible(value, for_output=False)
    if plain_value is not None and not isinstance(plain_value, str):
        plain_value = json.dumps(plain_value, ensure_ascii=False)
    return str(kind), plain_value


def _metadata_from_columns(kind: str | None, value: str | None) -> dict[str, Any] | None:
    if kind is None:
        return None
    return {"type": kind, "value": value}


# --- engine setup -----------------------------------------------------------------------------


def _prepare_sqlite_file(path: Path) -> None:
    """Create the database file with mode 0600 before SQLite opens it."""
    if not path.parent.is_dir():
        raise StoreError(
            f"The folder {path.parent} of the database file does not exist. "
            "Create it, or pass another database URL."
        )
    try:
        handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise StoreError(f"Cannot open database file {path}: {exc.strerror}.") from None
    os.close(handle)
    if os.name != "nt":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("database file %s has mode %04o; restrict it with: chmod 600 %s", path, mode, path)


def _configure_sqlite(dbapi_connection: Any, _record: Any, *, file_backed: bool) -> None:
    # Autocommit at the driver level, so that the `begin` hook below owns every BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        if file_backed:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def create_store_engine(url: URL) -> Engine:
    """Create the SQLAlchemy engine for a store URL, with the SQLite settings described above."""
    if not is_sqlite(url):
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as error:
            raise StoreError(
                f"The database driver for {url.drivername} is not installed ({error.name}). For "
                "PostgreSQL, install the extra: pip install 'imlconnect[postgres]'."
            ) from error
    path = sqlite_file_path(url)
    if path is not None:
        _prepare_sqlite_file(path)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    else:
        # One shared connection, because every new connection to `:memory:` is a new database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        _configure_sqlite(dbapi_connection, record, file_backed=path is not None)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


# --- the store --------------------------------------------------------------------------------


class ConnectionStore:
    """Encrypted storage of connections and app common data. Open one with `ConnectionStore.open`.

    A store object is safe to share between threads; separate processes each open their own.
    """

    def __init__(self, engine: Engine, keyring: Keyring, *, url: URL) -> None:
        self._engine = engine
        self._keyring = keyring
        self._url = url

    # --- opening and closing

    @classmethod
    def open(cls, url: str | None = None, *, secret_key: str | None = None) -> ConnectionStore:
        """Open (and create when missing) the store at an SQLAlchemy URL.

        `url` defaults to `IMLCONNECT_DB`, then to `connections.db` in the user data folder. The
        key comes from `secret_key`, then `IMLCONNECT_SECRET_KEY` (base64url of 32 bytes, or
        several such keys separated by commas with the active one first), then the key file
        (created with a new key for a new database). Raises `StoreError` (`KeyringError` for key
        problems) when the database or the key cannot be used.
        """
        parsed = resolve_database_url(url)
        engine = create_store_engine(parsed)
        try:
            existing_kid = _prepare_schema(engine, parsed)
            keyring = _load_keyring(parsed, secret_key=secret_key, existing_kid=existing_kid)
            if existing_kid is None:
                _insert_key_state(engine, keyring.active.kid)
        except BaseException:
            engine.dispose()
            raise
        store = cls(engine, keyring, url=parsed)
        log.debug("store opened at %s with key ids %s", store.url, ",".join(keyring.kids()))
        return store

    def close(self) -> None:
        """Release the database connections. The object cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def key_file(self) -> Path | None:
        """The key file in use, or None when the key comes from the environment or memory."""
        return self._keyring.path

    @property
    def active_key_id(self) -> str:
        return self._keyring.active.kid

    # --- connections

    def create(
        self,
        *,
        app: str,
        name: str,
        label: str,
        parameters: Mapping[str, Any],
        data: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        uid: str | None,
    ) -> StoredConnection:
        """Store a newly verified connection at version 1 and return it with its new id."""
        _check_name(app, "app name")
        _check_name(name, "connection name")
        parameters_json = _encode_json(parameters, description="parameters")
        data_json = _encode_json(data, description="data")
        metadata_type, metadata_value = _metadata_columns(metadata)
        uid_text = None if uid is None else str(uid)
        now = _now()
        for attempt in range(3):
            record_id = new_connection_id()
            try:
                with self._writing() as conn:
                    key = self._write_key(conn)
                    conn.execute(
                        insert(ConnectionRow).values(
                            id=record_id,
                            app=app,
                            name=name,
                            label=label,
                            parameters=self._seal(key, _CONNECTION, record_id, "parameters", parameters_json),
                            data=self._seal(key, _CONNECTION, record_id, "data", data_json),
                            metadata_type=metadata_type,
                            metadata_value=metadata_value,
                            uid=uid_text,
                            status="verified",
                            last_error_type=None,
                            last_error_status=None,
                            last_error_message=None,
                            created_at=now,
                            updated_at=now,
                            verified_at=now,
                            version=1,
                            key_id=key.kid,
                        )
                    )
                break
            except IntegrityError:
                # A random id collided with a stored one: draw another.
                if attempt == 2:
                    raise StoreError("Cannot create a unique connection id; try again.") from None
        log.info("connection %s created for app %s", record_id, app)
        return StoredConnection(
            id=record_id,
            app=app,
            name=name,
            label=label,
            parameters=json.loads(parameters_json),
            data=json.loads(data_json),
            metadata=_metadata_from_columns(metadata_type, metadata_value),
            uid=uid_text,
            status="verified",
            last_error=None,
            created_at=now,
            updated_at=now,
            verified_at=now,
            version=1,
            key_id=key.kid,
        )

    def get(self, id: str) -> StoredConnection:
        """Return one connection with its secrets decrypted.

        Raises `ConnectionNotFoundError` for an unknown id and `DecryptionError` when a stored
        field fails authentication (wrong key or tampered row).
        """
        with self._reading() as conn:
            row = conn.execute(select(ConnectionRow.__table__).where(ConnectionRow.id == id)).one_or_none()
        if row is None:
            raise ConnectionNotFoundError(f"No stored connection has the id {id!r}. {_LIST_HINT}")
        return self._to_record(row)

    def list(self, *, app: str | None = None) -> list[StoredConnection]:
        """Return every connection (of one app when `app` is given), oldest first.

        A record whose encrypted fields fail to decrypt is still returned, with its plain fields,
        empty `parameters` and `data`, and the reason in `decryption_error`, so one damaged row
        does not hide the others. `get` raises `DecryptionError` for such a record.
        """
        statement = select(ConnectionRow.__table__).order_by(ConnectionRow.created_at, ConnectionRow.id)
        if app is not None:
            statement = statement.where(ConnectionRow.app == app)
        with self._reading() as conn:
            rows = conn.execute(statement).all()
        return [self._to_record(row, tolerant=True) for row in rows]

    def delete(self, id: str, *, expected_version: int | None = None) -> None:
        """Delete one connection, or with `expected_version`, only while it is at that version.

        Raises `ConnectionNotFoundError` or `ConflictError`.
        """
        with self._writing() as conn:
            statement = delete(ConnectionRow).where(ConnectionRow.id == id)
            if expected_version is not None:
                statement = statement.where(ConnectionRow.version == expected_version)
            if conn.execute(statement).rowcount != 1:
                self._raise_missing_or_conflict(conn, id, expected_version)
        log.info("connection %s deleted", id)

    def save_verified(
        self,
        id: str,
        *,
        parameters: Mapping[str, Any],
        data: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        uid: str | None,
        expected_version: int,
        label: str | None = None,
    ) -> StoredConnection:
        """Replace the parameters, data, metadata and uid after a successful verification.

        Sets the status to `verified`, clears the last error and bumps the version. A `label`
        other than None replaces the stored one. Raises
        `ConflictError` when the stored version is not `expected_version`, and
        `ConnectionNotFoundError` for an unknown id.
        """
        parameters_json = _encode_json(parameters, description="parameters")
        data_json = _encode_json(data, description="data")
        metadata_type, metadata_value = _metadata_columns(metadata)
        uid_text = None if uid is None else str(uid)
        changes: dict[str, Any] = {} if label is None else {"label": label}
        now = _now()
        with self._writing() as conn:
            key = self._write_key(conn)
            result = conn.execute(
                update(ConnectionRow)
                .where(ConnectionRow.id == id, ConnectionRow.version == expected_version)
                .values(
                    **changes,
                    parameters=self._seal(key, _CONNECTION, id, "parameters", parameters_json),
                    data=self._seal(key, _CONNECTION, id, "data", data_json),
                    metadata_type=metadata_type,
                    metadata_value=metadata_value,
                    uid=uid_text,
                    status="verified",
                    last_error_type=None,
                    last_error_status=None,
                    last_error_message=None,
                    updated_at=now,
                    verified_at=now,
                    version=expected_version + 1,
                    key_id=key.kid,
                )
            )
            if result.rowcount != 1:
                self._raise_missing_or_conflict(conn, id, expected_version)
            row = conn.execute(select(ConnectionRow.__table__).where(ConnectionRow.id == id)).one()
        log.info("connection %s saved as verified at version %d", id, expected_version + 1)
        return self._to_record(
            row, plaintext={"parameters": parameters_json, "data": data_json, "last_error": None}
        )

    def update(self, record: StoredConnection, *, expected_version: int | None = None) -> StoredConnection:
        """Save `record`'s parameters, data, metadata and uid as a verified state.

        Same as `save_verified`; `expected_version` defaults to `record.version`.
        """
        return self.save_verified(
            record.id,
            parameters=record.parameters,
            data=record.data,
            metadata=record.metadata,
            uid=record.uid,
            expected_version=record.version if expected_version is None else expected_version,
        )

    def record_failure(self, id: str, error: ErrorInfo, *, expected_version: int) -> StoredConnection:
        """Mark a connection as failed with `error`, keeping its last good parameters and data.

        The error message is encrypted because it may echo secrets. Bumps the version and raises
        `ConflictError` or `ConnectionNotFoundError` like `save_verified`.
        """
        if not isinstance(error.type, str) or not error.type or len(error.type) > _MAX_ERROR_TYPE_LENGTH:
            raise StoreError(
                f"The error type to record must be a non-empty name of at most {_MAX_ERROR_TYPE_LENGTH} characters."
            )
        error_json = json.dumps(
            {"message": error.message, "problems": to_json_compatible(error.problems, for_output=False)},
            ensure_ascii=False,
        ).encode()
        now = _now()
        with self._writing() as conn:
            key = self._write_key(conn)
            result = conn.execute(
                update(ConnectionRow)
                .where(ConnectionRow.id == id, ConnectionRow.version == expected_version)
                .values(
                    status="failed",
                    last_error_type=error.type,
                    last_error_status=error.status,
                    last_error_message=self._seal(key, _CONNECTION, id, "last_error", error_json),
                    updated_at=now,
                    version=expected_version + 1,
                )
            )
            if result.rowcount != 1:
                self._raise_missing_or_conflict(conn, id, expected_version)
            row = conn.execute(select(ConnectionRow.__table__).where(ConnectionRow.id == id)).one()
        log.info("connection %s recorded a %s failure at version %d", id, error.type, expected_version + 1)
        return self._to_record(row)

    # --- app common data

    def set_common(self, app: str, common: Mapping[str, Any]) -> None:
        """Store (or replace) the encrypted common data of an app."""
        _check_name(app, "app name")
        common_json = _encode_json(common, description="common data")
        for attempt in range(2):
            try:
                with self._writing() as conn:
                    key = self._write_key(conn)
                    envelope = self._seal(key, _COMMON, app, "common", common_json)
                    values = {"common": envelope, "updated_at": _now(), "key_id": key.kid}
                    result = conn.execute(update(CommonRow).where(CommonRow.app == app).values(**values))
                    if result.rowcount == 0:
                        conn.execute(insert(CommonRow).values(app=app, **values))
            except IntegrityError:
                # Another writer inserted the row first (possible on PostgreSQL): update it instead.
                if attempt == 1:
                    raise
                continue
            log.info("common data of app %s saved", app)
            return

    def get_common(self, app: str) -> dict[str, Any]:
        """Return the decrypted common data of an app, or `{}` when none is stored."""
        with self._reading() as conn:
            envelope = conn.execute(select(CommonRow.common).where(CommonRow.app == app)).scalar_one_or_none()
        if envelope is None:
            return {}
        result: dict[str, Any] = json.loads(self._open(envelope, _COMMON, app, "common"))
        return result

    # --- keys

    def rotate_keys(self) -> int:
        """Re-encrypt every connection and every app's common data under a new active key.

        With a key file: a new key is added in front of the file (old keys stay readable), every
        row is re-encrypted in one transaction, and then the file is rewritten with the new key
        alone. A crash at any step leaves every row readable with the file on disk. With keys from
        `IMLCONNECT_SECRET_KEY` or `secret_key`, the store cannot change them, so rows are
        re-encrypted under the first key given: to rotate, put a new key first
        (`NEW,OLD`), rotate, then keep only `NEW`. Returns the number of rows re-encrypted
        (connections plus common rows). Raises `DecryptionError` when a row cannot be decrypted,
        and then every row stays under its old key (the key file keeps the unused new key).
        """
        path = self._keyring.path
        if path is None:
            if self._keyring.external:
                return self._reencrypt_all(self._keyring.active)
            target = Key.generate()
            self._keyring = Keyring(keys=(target, *self._keyring.keys))
            count = self._reencrypt_all(target)
            self._keyring = Keyring(keys=(target,))
            return count
        with crypto.locked_key_file(path):
            current = crypto.read_keyring(path)
            target = Key.generate()
            self._keyring = crypto.write_keyring(path, (target, *current.keys))
            count = self._reencrypt_all(target)
            self._keyring = crypto.write_keyring(path, (target,))
        return count

    # --- internals

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(
                f"Reading the database at {self.url} failed ({exc.orig}). Retry the operation."
            ) from None

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """Open a write transaction (`BEGIN IMMEDIATE` on SQLite, so writers queue up front)."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise StoreError(
                f"The database at {self.url} failed during a write ({exc.orig}). "
                "Nothing was changed; retry the operation."
            ) from None

    def _write_key(self, conn: Connection) -> Key:
        """Return the key new envelopes must use: the one the database names as active."""
        statement = select(KeyState.active_key_id).where(KeyState.id == 1).with_for_update(read=True)
        kid = conn.execute(statement).scalar_one_or_none()
        if kid is None:
            raise StoreError(
                f"The database at {self.url} has no key_state row, so imlconnect did not create it. "
                "Use a database that imlconnect created."
            )
        key = self._find_key(kid)
        if key is None:
            where = f"key file {self._keyring.path}" if self._keyring.path else "the configured secret key"
            raise KeyringError(
                f"The database at {self.url} encrypts with key id {kid}, but {where} contains only "
                f"{', '.join(self._keyring.kids())}. Configure the key the database was written "
                f"with (its key file or {crypto.SECRET_KEY_ENV})."
            )
        return key

    def _find_key(self, kid: str) -> Key | None:
        """Find a key by id, reloading the key file once in case another process rotated it."""
        key = self._keyring.find(kid)
        if key is None and self._keyring.path is not None and self._keyring.path.exists():
            self._keyring = crypto.read_keyring(self._keyring.path)
            key = self._keyring.find(kid)
        return key

    def _seal(self, key: Key, kind: str, row_id: str, field_name: str, plaintext: bytes) -> str:
        return crypto.encrypt_field(key, plaintext, kind=kind, row_id=row_id, field=field_name)

    def _open(self, envelope: str, kind: str, row_id: str, field_name: str) -> bytes:
        kid = crypto.envelope_key_id(envelope)
        if kid is not None:
            self._find_key(kid)
        return crypto.decrypt_field(self._keyring, envelope, kind=kind, row_id=row_id, field=field_name)

    def _raise_missing_or_conflict(self, conn: Connection, id: str, expected_version: int | None) -> None:
        current = conn.execute(
            select(ConnectionRow.version).where(ConnectionRow.id == id)
        ).scalar_one_or_none()
        if current is None:
            raise ConnectionNotFoundError(f"No stored connection has the id {id!r}. {_LIST_HINT}")
        log.info("connection %s: version conflict (expected %s, stored %d)", id, expected_version, current)
        raise ConflictError(
            f"Connection {id} was changed by another writer: it is at version {current}, not the "
            f"expected version {expected_version}. Read it again and retry the change."
        )

    def _to_record(
        self, row: Any, *, tolerant: bool = False, plaintext: dict[str, bytes | None] | None = None
    ) -> StoredConnection:
        """Build a record from a row, decrypting unless `plaintext` already contains the fields."""
        problem: str | None = None
        try:
            if plaintext is None:
                plaintext = {
                    "parameters": self._open(row.parameters, _CONNECTION, row.id, "parameters"),
                    "data": self._open(row.data, _CONNECTION, row.id, "data"),
                    "last_error": (
                        None
                        if row.last_error_message is None
                        else self._open(row.last_error_message, _CONNECTION, row.id, "last_error")
                    ),
                }
            parameters = json.loads(plaintext["parameters"] or b"{}")
            data = json.loads(plaintext["data"] or b"{}")
            error_body = None if plaintext["last_error"] is None else json.loads(plaintext["last_error"])
        except DecryptionError as exc:
            if not tolerant:
                raise
            log.warning("connection %s cannot be decrypted; listing it without secrets", row.id)
            problem = str(exc)
            parameters, data, error_body = {}, {}, None
        last_error = None
        if row.last_error_type is not None:
            last_error = ErrorInfo(
                type=row.last_error_type,
                message=(error_body or {}).get("message", ""),
                status=row.last_error_status,
                problems=(error_body or {}).get("problems", []),
            )
        return StoredConnection(
            id=row.id,
            app=row.app,
            name=row.name,
            label=row.label,
            parameters=parameters,
            data=data,
            metadata=_metadata_from_columns(row.metadata_type, row.metadata_value),
            uid=row.uid,
            status=row.status,
            last_error=last_error,
            created_at=_as_utc(row.created_at),
            updated_at=_as_utc(row.updated_at),
            verified_at=_as_utc(row.verified_at),
            version=row.version,
            key_id=row.key_id,
            decryption_error=problem,
        )

    def _reencrypt_all(self, target: Key) -> int:
        """Re-encrypt every row under `target` and make it the active key, in one transaction."""
        count = 0
        with self._writing() as conn:
            conn.execute(select(KeyState.id).where(KeyState.id == 1).with_for_update()).all()
            fields = ("parameters", "data", "last_error_message")
            rows = conn.execute(select(ConnectionRow.__table__)).all()
            for row in rows:
                values: dict[str, Any] = {"key_id": target.kid}
                for column in fields:
                    envelope = getattr(row, column)
                    if envelope is None:
                        continue
                    field_name = "last_error" if column == "last_error_message" else column
                    plain = self._open(envelope, _CONNECTION, row.id, field_name)
                    values[column] = self._seal(target, _CONNECTION, row.id, field_name, plain)
                conn.execute(update(ConnectionRow).where(ConnectionRow.id == row.id).values(**values))
                count += 1
            for app, envelope in conn.execute(select(CommonRow.app, CommonRow.common)).all():
                plain = self._open(envelope, _COMMON, app, "common")
                sealed = self._seal(target, _COMMON, app, "common", plain)
                conn.execute(
                    update(CommonRow).where(CommonRow.app == app).values(common=sealed, key_id=target.kid)
                )
                count += 1
            conn.execute(
                update(KeyState).where(KeyState.id == 1).values(active_key_id=target.kid, changed_at=_now())
            )
        log.info("re-encrypted %d rows under key id %s", count, target.kid)
        return count


# --- opening helpers ----------------------------------------------------------------------------


def _prepare_schema(engine: Engine, url: URL) -> str | None:
    """Create missing tables, check the schema version and return the active key id, if any."""
    shown_url = url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
            with conn.begin():
                Base.metadata.create_all(conn)
                stored = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar()
                if stored is None:
                    conn.execute(insert(SchemaVersion).values(id=1, version=SCHEMA_VERSION))
                elif stored > SCHEMA_VERSION:
                    raise StoreError(
                        f"The database at {shown_url} has schema version {stored}, newer than this "
                        f"imlconnect supports ({SCHEMA_VERSION}). Upgrade imlconnect."
                    )
                kid: str | None = conn.execute(
                    select(KeyState.active_key_id).where(KeyState.id == 1)
                ).scalar_one_or_none()
    except OperationalError as exc:
        raise StoreError(f"Cannot open the database at {shown_url}: {exc.orig}.") from None
    return kid


def _load_keyring(url: URL, *, secret_key: str | None, existing_kid: str | None) -> Keyring:
    """Pick the keys: the argument, then the environment, then the key file (created if new)."""
    if secret_key is not None:
        keys = crypto.parse_secret_keys(secret_key, source="the secret_key argument")
        return Keyring(keys=keys, external=True)
    from_env = os.environ.get(crypto.SECRET_KEY_ENV, "").strip()
    if from_env:
        return Keyring(keys=crypto.parse_secret_keys(from_env, source=crypto.SECRET_KEY_ENV), external=True)
    path = key_file_path(url)
    if path is None:
        return Keyring(keys=(Key.generate(),))
    if path.exists():
        return crypto.read_keyring(path)
    if existing_kid is not None:
        raise KeyringError(
            f"Key file {path} is missing, but the database at "
            f"{url.render_as_string(hide_password=True)} holds data encrypted with key id "
            f"{existing_kid}. Restore the key file from a backup, or set {crypto.SECRET_KEY_ENV} "
            "to that key."
        )
    return crypto.create_keyring(path)


def _insert_key_state(engine: Engine, kid: str) -> None:
    """Record the first active key of a new database (a concurrent opener may win the race)."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
            with conn.begin():
                present = conn.execute(select(KeyState.id).where(KeyState.id == 1)).scalar_one_or_none()
                if present is None:
                    conn.execute(insert(KeyState).values(id=1, active_key_id=kid, changed_at=_now()))
    except IntegrityError:
        pass
