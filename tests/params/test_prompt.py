"""prompt_missing with scripted answers, and through a real pseudo-terminal with the real getpass."""

from __future__ import annotations

import io
import json
import os
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from imlconnect.errors import ParametersError
from imlconnect.params import parse_parameters, prompt_missing

RAW = [
    {
        "name": "user",
        "type": "text",
        "label": "User name",
        "required": True,
        "help": "The login of your account.",
    },
    {"name": "apiKey", "type": "password", "label": "API key", "required": True},
    {
        "name": "mode",
        "type": "select",
        "label": "Mode",
        "required": True,
        "options": [
            {"label": "Live", "value": "live"},
            {
                "label": "Test",
                "value": "test",
                "nested": [{"name": "port", "type": "port", "label": "Test port", "required": True}],
            },
        ],
    },
    {"name": "note", "type": "text"},
]


def scripted(answers: list[str]) -> tuple[Callable[[str], str], list[str]]:
    """Return an input function that replays `answers` and the list of prompts it was given."""
    prompts: list[str] = []
    queue = list(answers)

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    return answer, prompts


def run(values: dict, text_answers: list[str], secret_answers: list[str]):
    spec, _problems = parse_parameters(RAW)
    text_fn, text_prompts = scripted(text_answers)
    secret_fn, secret_prompts = scripted(secret_answers)
    out = io.StringIO()
    result = prompt_missing(spec, values, input_fn=text_fn, secret_fn=secret_fn, out=out)
    return result, out.getvalue(), text_prompts, secret_prompts


def test_asks_missing_fields() -> None:
    result, _out, _t, _s = run({}, ["ann", "live"], ["k-1"])
    assert result == {"user": "ann", "apiKey": "k-1", "mode": "live"}


def test_keeps_given_values() -> None:
    result, _out, text_prompts, _s = run({"user": "bob", "note": "n"}, ["live"], ["k"])
    assert result == {"user": "bob", "note": "n", "apiKey": "k", "mode": "live"}
    assert len(text_prompts) == 1


def test_secret_uses_secret_fn() -> None:
    _result, _out, _t, secret_prompts = run({}, ["ann", "live"], ["k-1"])
    assert secret_prompts == ["API key: "]


def test_label_and_help_shown() -> None:
    _result, out, _t, _s = run({}, ["ann", "live"], ["k-1"])
    assert "User name (user, text, required)" in out
    assert "The login of your account." in out


def test_options_listed() -> None:
    _result, out, _t, _s = run({}, ["ann", "live"], ["k-1"])
    assert "1. live (Live)" in out
    assert "2. test (Test)" in out


def test_option_by_number() -> None:
    result, _out, _t, _s = run({"user": "u"}, ["2", "8080"], ["k"])
    assert result["mode"] == "test"


def test_nested_asked_after_parent() -> None:
    result, out, _t, _s = run({"user": "u"}, ["test", "8080"], ["k"])
    assert result["port"] == 8080
    assert out.index("Mode (mode") < out.index("Test port (port")


def test_reasks_invalid_answer() -> None:
    result, out, text_prompts, _s = run({"user": "u", "mode": "test"}, ["70000", "abc", "443"], ["k"])
    assert result["port"] == 443
    assert len(text_prompts) == 3
    assert "Value '70000' is not a valid port. Use a whole number from 1 to 65535. Try again." in out
    assert "Value 'abc' is not a number. Try again." in out


def test_reasks_empty_answer() -> None:
    result, out, _t, _s = run({"apiKey": "k", "mode": "live"}, ["", "ann"], [])
    assert result["user"] == "ann"
    assert "Field is mandatory. Try again." in out


def test_reasks_option_not_found() -> None:
    result, out, _t, _s = run({"user": "u", "apiKey": "k"}, ["gold", "live"], [])
    assert result["mode"] == "live"
    assert "Value 'gold' not found in options. Try again." in out


def test_secret_not_written_to_out() -> None:
    _result, out, _t, _s = run({"user": "u", "mode": "live"}, [], ["{{bad}}", "hunter2-secret"])
    assert "Value contains prohibited IML expression. Try again." in out
    assert "hunter2-secret" not in out


def test_nothing_missing_asks_nothing() -> None:
    result, out, text_prompts, secret_prompts = run({"user": "u", "apiKey": "k", "mode": "live"}, [], [])
    assert result == {"user": "u", "apiKey": "k", "mode": "live"}
    assert out == ""
    assert text_prompts == []
    assert secret_prompts == []


def test_eof_raises_parameters_error() -> None:
    with pytest.raises(ParametersError) as caught:
        run({}, [], [])
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("parameters.user", "Field is mandatory."),
        ("parameters.apiKey", "Field is mandatory."),
        ("parameters.mode", "Field is mandatory."),
    ]


def test_boolean_answer_coerced() -> None:
    spec, _problems = parse_parameters(
        [
            {
                "name": "on",
                "type": "boolean",
                "required": True,
                "nested": [{"name": "why", "type": "text", "required": True}],
            }
        ]
    )
    text_fn, _prompts = scripted(["maybe", "TRUE", "because"])
    out = io.StringIO()
    result = prompt_missing(spec, {}, input_fn=text_fn, secret_fn=text_fn, out=out)
    assert result == {"on": True, "why": "because"}
    assert "Value 'maybe' is not a boolean. Use true or false. Try again." in out.getvalue()


# --- a real pseudo-terminal ---------------------------------------------------------------------

CHILD = """
import json, sys
from imlconnect.params import parse_parameters, prompt_missing
spec, _ = parse_parameters([
    {"name": "user", "type": "text", "label": "User", "required": True},
    {"name": "secret", "type": "password", "label": "Secret", "required": True},
])
values = prompt_missing(spec, {}, out=sys.stdout)
print("RESULT=" + json.dumps({"user": values["user"], "secret_length": len(values["secret"]),
                              "secret_ok": values["secret"] == "Pw-typed-4711"}), flush=True)
"""


def read_until(fd: int, marker: bytes, transcript: bytearray, timeout: float = 20.0) -> None:
    """Read from the terminal into `transcript` until `marker` appears; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while marker not in transcript:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {bytes(transcript)!r}")
        ready, _w, _x = select.select([fd], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            raise AssertionError(f"terminal closed before {marker!r}; got {bytes(transcript)!r}")
        transcript.extend(chunk)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_pty_password_not_echoed() -> None:
    import pty

    environment = dict(os.environ)
    source_root = str(Path(__file__).resolve().parents[2] / "src")
    environment["PYTHONPATH"] = source_root + os.pathsep + environment.get("PYTHONPATH", "")
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the Python process that prompts on the terminal
        try:
            os.execve(sys.executable, [sys.executable, "-c", CHILD], environment)
        finally:
            os._exit(127)

    transcript = bytearray()
    try:
        read_until(fd, b"User: ", transcript)
        os.write(fd, b"alice-typed\n")
        read_until(fd, b"Secret: ", transcript)
        after_user = len(transcript)
        os.write(fd, b"Pw-typed-4711\n")
        read_until(fd, b"RESULT=", transcript)
        read_until(fd, b"}", transcript)
    finally:
        _pid, status = os.waitpid(pid, 0)
        os.close(fd)

    text = bytes(transcript).decode("utf-8", "replace")
    result = json.loads(text[text.index("RESULT=") + len("RESULT=") :].splitlines()[0])
    assert os.waitstatus_to_exitcode(status) == 0
    assert result == {"user": "alice-typed", "secret_length": 13, "secret_ok": True}
    assert "alice-typed" in bytes(transcript[:after_user]).decode()
    assert "Pw-typed-4711" not in text
