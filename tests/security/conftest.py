"""Fixtures of the security tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from support.server import ApiServer


@pytest.fixture
def api() -> Iterator[ApiServer]:
    """The shared scripted server, polled every 50 ms so that stopping it takes no half second.

    `serve_forever` checks for shutdown once per poll interval, 0.5 s by default, which would
    add half a second to each of the many short tests in this folder.
    """
    server = ApiServer()
    server._thread = threading.Thread(
        target=server._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
