"""Fixtures for the store tests: an isolated environment and a database URL in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imlconnect.store import ConnectionStore


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user data folder into tmp_path and clear the store's environment variables."""
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.delenv("IMLCONNECT_DB", raising=False)
    monkeypatch.delenv("IMLCONNECT_SECRET_KEY", raising=False)
    return data_home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "test.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    db_path.parent.mkdir(mode=0o700, exist_ok=True)
    return f"sqlite:///{db_path}"


@pytest.fixture
def store(db_url: str) -> Iterator[ConnectionStore]:
    opened = ConnectionStore.open(db_url)
    yield opened
    opened.close()
