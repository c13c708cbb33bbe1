"""Real connection specs from the corpus, copied and pointed at a local server.

The machine that runs the tests has no internet access, so a published connection cannot reach
its API. `deploy` copies one corpus entry and rewrites only the API origin (scheme, host and
port) in its communication and base files. Every other byte stays as published, so the
templates, error rules and dialects under test are the author's own. `invoke_command` runs the
`imlconnect` command in this process (fast, and the corpus fixtures' test resolver applies);
`run_command` runs it in a subprocess whose host-name lookups are limited to a fixed table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from support.cli import CommandResult, invoke

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
LAUNCHER = Path(__file__).with_name("launcher.py")
LOCAL_NAMES_ENV = "IMLCONNECT_TEST_LOCAL_NAMES"

#: Roles of the files whose API origin `deploy` rewrites. Module files and parameters stay as published.
REWRITTEN_ROLES = ("communication", "base")


def manifest() -> dict[str, Any]:
    """Return the parsed MANIFEST.json of the corpus."""
    result: dict[str, Any] = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    return result


def entry_files(entry: str, roles: Iterable[str]) -> list[str]:
    """Return the paths, relative to the entry folder, of the entry's files with one of `roles`."""
    requested = set(roles)
    for item in manifest()["entries"]:
        if item["entry"] == entry:
            return [record["file"] for record in item["files"] if record["role"] in requested]
    raise AssertionError(f"corpus entry {entry!r} is not in MANIFEST.json")


def deploy(entry: str, target: Path, origins: Mapping[str, str]) -> Path:
    """Copy corpus `entry` into `target` and replace each origin key of `origins` by its value.

    Only the communication and base files are rewritten. Raises AssertionError when an origin
    occurs in none of them, so that a test never runs a copy that still names the real API.
    """
    folder = target / entry
    shutil.copytree(CORPUS / entry, folder)
    found = dict.fromkeys(origins, 0)
    for relative in entry_files(entry, REWRITTEN_ROLES):
        path = folder / relative
        text = path.read_bytes().decode("utf-8")
        for old, new in origins.items():
            found[old] += text.count(old)
            text = text.replace(old, new)
        path.write_bytes(text.encode("utf-8"))
    missing = [old for old, count in found.items() if count == 0]
    assert not missing, f"{entry}: origins not found in its communication or base files: {missing}"
    return folder


def write_json(path: Path, value: Any) -> Path:
    """Write `value` as JSON to `path` and return the path."""
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


#: In-process runs of the command; the name is kept for the corpus tests that import it.
invoke_command = invoke


def run_command(*args: str, local_names: Iterable[str] = ()) -> CommandResult:
    """Run `imlconnect ARGS` in a subprocess through the test launcher.

    Only the host names in `local_names` resolve, to 127.0.0.1. Any other lookup ends the
    process with exit code 97. IP literals such as the local server's URL need no lookup.
    """
    environment = {**os.environ, LOCAL_NAMES_ENV: ",".join(local_names)}
    done = subprocess.run(
        [sys.executable, str(LAUNCHER), *args],
        check=False, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=environment,
    )
    return CommandResult(done.returncode, done.stdout, done.stderr)


#: Options of every corpus `verify` run: JSON output with secrets shown, nothing stored.
VERIFY_OPTIONS = ("--json", "--reveal", "--no-save", "--allow-private-network")


def verify_command(folder: Path, params_file: Path, *extra: str) -> CommandResult:
    """Run `imlconnect verify FOLDER` with `VERIFY_OPTIONS` and `--params-file FILE` in this process."""
    return invoke_command("verify", str(folder), *VERIFY_OPTIONS, "--params-file", str(params_file), *extra)


def verify_subprocess(folder: Path, params_file: Path, *extra: str,
                      local_names: Iterable[str] = ()) -> CommandResult:
    """Run the same `imlconnect verify` command as `verify_command`, in a subprocess."""
    return run_command("verify", str(folder), *VERIFY_OPTIONS, "--params-file", str(params_file), *extra,
                       local_names=local_names)
