"""Shared fixtures of the spec tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    """The folder of real connection specs that the spec tests read as input."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder not found at {CORPUS}")
    return CORPUS
