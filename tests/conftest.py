"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import ApiServer  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture
def api() -> Iterator[ApiServer]:
    """A scripted HTTP server on 127.0.0.1, stopped after the test."""
    server = ApiServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def write_bundle(tmp_path: Path):
    """Write a bundle file `{"communication", "parameters", "common"}` and return its path."""

    def write(communication: Any, parameters: list[Any] | None = None, **extra: Any) -> Path:
        bundle = {"communication": communication, "parameters": parameters or [], **extra}
        path = tmp_path / f"bundle{len(list(tmp_path.glob('bundle*.json')))}.json"
        path.write_text(json.dumps(bundle))
        return path

    return write


@pytest.fixture(autouse=True)
def isolated_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default store at a fresh folder so no test touches the user's data."""
    folder = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("IMLCONNECT_DB", f"sqlite:///{folder / 'connections.db'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "xdg"))
    monkeypatch.delenv("IMLCONNECT_SECRET_KEY", raising=False)
    return folder
