"""Play the shared conformance samples through the installed `imlconnect` command.

The samples and their runners live in a `shared/conformance` folder beside the repository. The
runners call `imlconnect` from PATH, so the virtual environment's bin folder goes first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"

pytestmark = pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="no shared/conformance folder beside the repository")


def _play(runner: str, cases: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, str(CONFORMANCE / runner), str(CONFORMANCE / cases)],
        capture_output=True, text=True, timeout=600, env=env, cwd=CONFORMANCE,
    )


def test_connection_samples() -> None:
    done = _play("run_connections.py", "sample-connections.json")
    assert done.returncode == 0, done.stdout + done.stderr


def test_iml_samples() -> None:
    done = _play("run_iml.py", "sample-iml.json")
    assert done.returncode == 0, done.stdout + done.stderr
