"""The bundled example connection and its sample API, used by `imlconnect demo` and the tests."""

from __future__ import annotations

from pathlib import Path

DEMO_CONNECTION = Path(__file__).with_name("connection.json")
