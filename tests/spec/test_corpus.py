"""Every connection of the corpus of published apps loads and validates without false errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imlconnect.errors import SpecError
from imlconnect.spec import check_path, load_connection

#: Basic connections that cannot run, with the reason check_path gives for each.
CANNOT_RUN: dict[str, str] = {
    # The refresh token is cut out of a cookie by a custom IML function, which is JavaScript.
    "Ichy77__tally_private_make_app__tally-2-qd6cu0": '"getRefreshToken" is not a built-in IML function',
}


def entries(corpus: Path, connection_type: str) -> list[str]:
    manifest = json.loads((corpus / "MANIFEST.json").read_text())
    return [entry["entry"] for entry in manifest["entries"] if entry["connection_type"] == connection_type]


def test_corpus_counts(corpus: Path) -> None:
    assert (len(entries(corpus, "basic")), len(entries(corpus, "oauth"))) == (58, 4)


def test_basic_entries_have_no_errors(corpus: Path) -> None:
    unexpected: dict[str, list[str]] = {}
    for name in entries(corpus, "basic"):
        if name in CANNOT_RUN:
            continue
        errors = [p.describe() for p in check_path(corpus / name) if p.severity == "error"]
        if errors:
            unexpected[name] = errors
    assert unexpected == {}


def test_basic_entries_load(corpus: Path) -> None:
    failed = []
    for name in entries(corpus, "basic"):
        if name in CANNOT_RUN:
            continue
        try:
            load_connection(corpus / name)
        except SpecError as exc:
            failed.append((name, str(exc)))
    assert failed == []


@pytest.mark.parametrize("name", sorted(CANNOT_RUN))
def test_cannot_run_reason(corpus: Path, name: str) -> None:
    errors = [p.message for p in check_path(corpus / name) if p.severity == "error"]
    assert len(errors) == 1
    assert CANNOT_RUN[name] in errors[0]


def test_oauth_entries_rejected(corpus: Path) -> None:
    messages = {}
    for name in entries(corpus, "oauth"):
        with pytest.raises(SpecError) as caught:
            load_connection(corpus / name)
        messages[name] = str(caught.value)
    assert all("OAuth connections are not supported yet" in message for message in messages.values())
    assert all(name in message for name, message in messages.items())


def test_relative_urls_use_base(corpus: Path) -> None:
    spec = load_connection(corpus / "Minh42__seomatic-mcp__connection")
    assert spec.base_url is not None


def test_embedded_parameters_warning(corpus: Path) -> None:
    warnings = [w.path for w in load_connection(corpus / "Minh42__seomatic-mcp__connection").warnings]
    assert warnings == ["communication.parameters"]


def test_commented_out_communication(corpus: Path) -> None:
    spec = load_connection(corpus / "Ichy77__Open-Source-Make-Apps__chat-pdf.connection1")
    assert spec.requests == []


def test_request_arrays(corpus: Path) -> None:
    spec = load_connection(corpus / "Ichy77__Open-Source-Make-Apps__bland-ai.bland-ai-17xegd")
    assert [request.json_path for request in spec.requests] == ["communication[0]"]
