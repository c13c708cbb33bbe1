"""A database URL whose driver is missing raises a StoreError naming the package to install."""

from __future__ import annotations

import importlib.util

import pytest

from imlconnect.errors import StoreError
from imlconnect.store import ConnectionStore


@pytest.mark.skipif(importlib.util.find_spec("psycopg") is not None, reason="psycopg is installed here")
def test_missing_postgres_driver() -> None:
    with pytest.raises(StoreError, match=r"pip install 'imlconnect\[postgres\]'"):
        ConnectionStore.open("postgresql+psycopg://user@127.0.0.1:1/none")
