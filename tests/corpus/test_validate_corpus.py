"""`imlconnect validate` and `verify` on every corpus entry: which published connections can run.

Every basic connection validates with exit code 0, except the entries in `CANNOT_RUN`. OAuth
connections are not supported yet: `validate` exits 1 and `verify` exits 2, both with a message
that states it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from corpus.realapps import CORPUS, CommandResult, invoke_command, manifest, run_command

OAUTH_MESSAGE = "OAuth connections are not supported yet"

#: Basic connections that cannot run, with the reason `validate` gives.
CANNOT_RUN: dict[str, str] = {
    # The refresh token is read with `getRefreshToken`, a custom IML function (JavaScript).
    "Ichy77__tally_private_make_app__tally-2-qd6cu0": '"getRefreshToken" is not a built-in IML function',
}


def entries_of_type(connection_type: str) -> list[str]:
    if not CORPUS.is_dir():
        return []
    return [item["entry"] for item in manifest()["entries"] if item["connection_type"] == connection_type]


BASIC = entries_of_type("basic")
OAUTH = entries_of_type("oauth")
RUNNABLE = [entry for entry in BASIC if entry not in CANNOT_RUN]


def validate_json(entry: str) -> tuple[CommandResult, Any]:
    done = invoke_command("validate", str(CORPUS / entry), "--json")
    return done, json.loads(done.stdout)


def test_corpus_has_entries() -> None:
    assert len(RUNNABLE) >= 50
    assert len(OAUTH) >= 1


@pytest.mark.parametrize("entry", RUNNABLE)
def test_basic_entry_valid(entry: str) -> None:
    done, output = validate_json(entry)
    errors = [problem for problem in output["problems"] if problem["severity"] == "error"]
    assert done.returncode == 0, errors
    assert output["ok"] is True
    assert output["errors"] == 0


@pytest.mark.parametrize("entry", sorted(CANNOT_RUN))
def test_cannot_run_reason(entry: str) -> None:
    done, output = validate_json(entry)
    assert done.returncode == 1
    assert output["errors"] == 1
    messages = [problem["message"] for problem in output["problems"] if problem["severity"] == "error"]
    assert len(messages) == 1
    assert CANNOT_RUN[entry] in messages[0]
    assert "custom IML function" in messages[0]


def test_cannot_run_list_is_complete() -> None:
    failing = {entry for entry in BASIC if invoke_command("validate", str(CORPUS / entry)).returncode != 0}
    assert failing == set(CANNOT_RUN)


@pytest.mark.parametrize("entry", OAUTH)
def test_oauth_validate_message(entry: str) -> None:
    done, output = validate_json(entry)
    assert done.returncode == 1
    errors = [problem for problem in output["problems"] if problem["severity"] == "error"]
    assert len(errors) == 1
    assert errors[0]["path"] == "communication"
    assert errors[0]["message"].startswith(f"{OAUTH_MESSAGE}:")
    assert errors[0]["file"].startswith(str(CORPUS / entry))


@pytest.mark.parametrize("entry", OAUTH)
def test_oauth_verify_exit_2(entry: str) -> None:
    done = invoke_command("verify", str(CORPUS / entry), "--json", "--no-save")
    assert done.returncode == 2
    output = json.loads(done.stdout)
    assert output["ok"] is False
    assert output["error"]["type"] == "InvalidSpec"
    assert OAUTH_MESSAGE in output["error"]["message"]
    assert [problem["path"] for problem in output["error"]["problems"]] == ["communication"]


#: Warnings that published specs earn, as (entry, JSON path, part of the message).
EXPECTED_WARNINGS = [
    ("Acetelecom__make-smsenmasse__apiKey", "communication.response.error.message",
     "';' between function arguments"),
    ("deepakg-sacumen__make.com-knowbe4-connector-integration__knowbe4-eo1wyq",
     "communication.response.error.message", "bracket access with a string"),
    ("ApiFlash__make-apiflash__apiflash", "communication.response.error.message", '"{object}"'),
    ("janknettig__Pipedrive-CRM__pipedrive-apikey", "base.baseUrl",
     '"getApiURL" is not a built-in IML function'),
]


@pytest.mark.parametrize(("entry", "path", "fragment"), EXPECTED_WARNINGS)
def test_published_spec_warning(entry: str, path: str, fragment: str) -> None:
    done, output = validate_json(entry)
    assert done.returncode == 0
    warnings = [problem for problem in output["problems"] if problem["severity"] == "warning"]
    matching = [problem for problem in warnings if problem["path"] == path and fragment in problem["message"]]
    assert len(matching) == 1, warnings
    assert isinstance(matching[0]["line"], int)
    assert isinstance(matching[0]["column"], int)


def test_validate_process_basic() -> None:
    entry = "HedyAI__make-app-hedy__apiKey"
    done = run_command("validate", str(CORPUS / entry))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{CORPUS / entry}: valid (0 errors, 0 warnings)"


def test_validate_process_oauth() -> None:
    entry = "warmbly__warmbly__warmbly"
    done = run_command("validate", str(CORPUS / entry))
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert f"error: communication: {OAUTH_MESSAGE}" in lines[0]
    assert lines[-1] == f"{CORPUS / entry}: invalid (1 error, 0 warnings)"
