"""Canary secrets for the leak tests: unique values, the forms they can leak in, and a scanner."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

CLI = Path(sys.executable).parent / "imlconnect"


def make_canary(kind: str) -> str:
    """Return a unique secret; `+` and `/` make its URL-encoded form differ from the raw one."""
    return f"cnry-{kind}-{uuid.uuid4().hex[:12]}+q/{uuid.uuid4().hex[:6]}"


def leak_forms(secret: str) -> dict[str, str]:
    """Return every form in which a leaked secret would be recognised, by form name."""
    raw = secret.encode("utf-8")
    standard = base64.b64encode(raw).decode("ascii")
    urlsafe = base64.urlsafe_b64encode(raw).decode("ascii")
    return {
        "raw": secret,
        "base64": standard.rstrip("="),
        "base64url": urlsafe.rstrip("="),
        "url-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret, safe=""),
        "url-encoded path": quote(secret),
    }


@dataclass
class LeakScanner:
    """Check outputs for every form of every canary, and count what was checked."""

    canaries: dict[str, str]
    outputs: list[str] = field(default_factory=list)

    def check(self, label: str, content: str | bytes) -> None:
        """Assert that no canary form appears in `content`; `label` names the output."""
        self.outputs.append(label)
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogateescape")
        for name, secret in self.canaries.items():
            for form_name, form in leak_forms(secret).items():
                assert form.encode("utf-8") not in data, f"{name} leaked as {form_name} in {label}"

    def check_folder(self, label: str, folder: Path) -> None:
        """Check every file under `folder` (database, -wal, -shm, key files) byte by byte."""
        files = sorted(path for path in folder.rglob("*") if path.is_file())
        assert files, f"{label}: no files to check in {folder}"
        for path in files:
            self.check(f"{label}:{path.relative_to(folder)}", path.read_bytes())


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `imlconnect` command with a closed stdin; return its raw output."""
    return subprocess.run(
        [str(CLI), *args], check=False, capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
