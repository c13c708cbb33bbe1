"""`imlconnect verify` at a real terminal: missing required parameters are asked for."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

from support.server import ApiServer, Reply

PARAMETERS = [
    {"name": "user", "type": "text", "label": "User name", "required": True},
    {"name": "password", "type": "password", "label": "Password", "help": "Your account password.",
     "required": True},
]


def read_until(fd: int, marker: bytes, seen: bytearray, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out waiting for {marker!r}; output so far: {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)


def test_verify_prompts_without_echo(api: ApiServer, tmp_path: Path) -> None:
    api.queue.append(Reply(json={"login": "ada"}))
    bundle = tmp_path / "connection.json"
    bundle.write_text(json.dumps({
        "communication": {"url": f"{api.url}/me",
                          "headers": {"Authorization": "Basic {{base64(parameters.user + ':' + parameters.password)}}"},
                          "response": {"metadata": {"type": "text", "value": "{{body.login}}"}}},
        "parameters": PARAMETERS,
    }))
    command = [str(Path(sys.executable).parent / "imlconnect"), "verify", str(bundle), "--no-save",
               "--allow-private-network"]

    pid, fd = pty.fork()
    if pid == 0:  # child: the command runs with the pseudo-terminal as stdin, stdout and stderr
        os.execv(command[0], command)

    seen = bytearray()
    read_until(fd, b"User name: ", seen)
    os.write(fd, b"ada\n")
    read_until(fd, b"Password: ", seen)
    os.write(fd, b"pw-canary-9321\n")
    read_until(fd, b"Verified", seen)
    read_until(fd, b"metadata", seen)
    _, status = os.waitpid(pid, 0)
    os.close(fd)

    output = bytes(seen).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert "ada" in output
    assert "pw-canary-9321" not in output
    assert api.requests[0].header("Authorization") == "Basic YWRhOnB3LWNhbmFyeS05MzIx"
