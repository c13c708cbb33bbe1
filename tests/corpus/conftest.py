"""Fixtures of the corpus tests: the corpus folder and a host-name resolver that never leaves the machine."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from corpus.realapps import CORPUS
from imlconnect.http import guard


@pytest.fixture(autouse=True)
def corpus_present() -> None:
    """Skip when the shared corpus folder is not beside the repository."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder not found at {CORPUS}")


@pytest.fixture(autouse=True)
def local_names(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Resolve the host names a test adds to this set to 127.0.0.1, and reject every other name.

    The engine's default resolver is replaced for the whole test, so an in-process verification
    never performs a real lookup. A rejected lookup makes the request fail with a DNS error and
    then fails the test at teardown, naming the host.
    """
    names: set[str] = set()
    rejected: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        if host.lower() in names:
            return ["127.0.0.1"]
        rejected.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "rejected by the test resolver")

    monkeypatch.setattr(guard, "default_resolve", resolve)
    yield names
    assert not rejected, f"lookups of names outside the test table: {rejected}"
