"""Default locations of the connection database and its key file.

The database URL comes from the caller, else from the `IMLCONNECT_DB` environment variable, else
it is the SQLite file `connections.db` in the user data folder that `platformdirs` picks for
`imlconnect` (`~/.local/share/imlconnect` on Linux). The key file sits beside an SQLite database
file; for any other database (PostgreSQL, in-memory SQLite) it is `connections.key` in the user
data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from imlconnect.errors import StoreError

#: Environment variable that contains the SQLAlchemy URL of the connection database.
DATABASE_ENV = "IMLCONNECT_DB"

#: File name of the default SQLite database inside the user data folder.
DEFAULT_DATABASE_NAME = "connections.db"

#: File name of the key file used for databases that are not SQLite files.
DEFAULT_KEY_NAME = "connections.key"


def user_data_dir(*, create: bool = True) -> Path:
    """Return the imlconnect user data folder, creating it with mode 0700 when `create` is set."""
    folder = Path(platformdirs.user_data_dir("imlconnect", appauthor=False))
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def resolve_database_url(url: str | None) -> URL:
    """Parse the database URL to use.

    `url` wins, then `IMLCONNECT_DB`, then `connections.db` in the user data folder (the folder
    is created when this default is chosen). Raises `StoreError` for a URL SQLAlchemy cannot parse.
    """
    text = url if url is not None else os.environ.get(DATABASE_ENV) or None
    if text is None:
        path = user_data_dir() / DEFAULT_DATABASE_NAME
        return URL.create("sqlite", database=str(path))
    try:
        return make_url(text)
    except ArgumentError as exc:
        source = "the database URL" if url is not None else f"the {DATABASE_ENV} environment variable"
        raise StoreError(
            f"Invalid database URL in {source}: {exc}. Use an SQLAlchemy URL such as "
            "sqlite:////path/to/connections.db or postgresql+psycopg://user@host/dbname."
        ) from None


def is_sqlite(url: URL) -> bool:
    """Return True when the URL names an SQLite database (any driver)."""
    return url.get_backend_name() == "sqlite"


def sqlite_file_path(url: URL) -> Path | None:
    """Return the absolute path of an SQLite database file, or None for an in-memory database."""
    if not is_sqlite(url):
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        # NOTE: `file:` URI databases are treated as in-memory, so they get a key held only in
        # memory. Pass a plain path to get a key file beside the database.
        return None
    return Path(database).expanduser().resolve()


def key_file_path(url: URL) -> Path | None:
    """Return where the key file of this database lives, or None when the key lives in memory.

    An SQLite file `NAME.db` gets `NAME.key` in the same folder (so the default database
    `connections.db` pairs with `connections.key`). An in-memory SQLite database gets no key file,
    because its data dies with the process. Any other database uses `connections.key` in the user
    data folder.
    """
    if is_sqlite(url):
        database_path = sqlite_file_path(url)
        if database_path is None:
            return None
        key_path = database_path.with_suffix(".key")
        if key_path == database_path:
            key_path = database_path.with_name(database_path.name + ".key")
        return key_path
    return user_data_dir() / DEFAULT_KEY_NAME
