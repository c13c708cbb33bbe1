"""Connection names and app names of layouts without a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imlconnect.errors import UsageError
from imlconnect.spec.layout import find_connection


def connection_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "apiKey.communication.iml.json").write_text('{"url": "https://api.example.com/me"}')
    (folder / "apiKey.params.iml.json").write_text("[]")
    return folder


def test_unknown_name_in_folder_rejected(tmp_path: Path) -> None:
    folder = connection_folder(tmp_path, "hedy")
    with pytest.raises(UsageError, match="holds the connection 'apiKey', not 'typo-id'"):
        find_connection(folder, "typo-id")


def test_matching_name_in_folder_accepted(tmp_path: Path) -> None:
    folder = connection_folder(tmp_path, "hedy")
    assert find_connection(folder, "apiKey").name == "apiKey"


def test_unknown_name_in_bundle_rejected(tmp_path: Path) -> None:
    bundle = tmp_path / "demo.json"
    bundle.write_text(json.dumps({"communication": {"url": "https://api.example.com"}, "name": "main"}))
    with pytest.raises(UsageError, match="not 'other'"):
        find_connection(bundle, "other")


def test_app_names_differ_by_folder(tmp_path: Path) -> None:
    first = find_connection(connection_folder(tmp_path, "hedy-app"))
    second = find_connection(connection_folder(tmp_path, "enricher-app"))
    assert (first.name, second.name) == ("apiKey", "apiKey")
    assert (first.app, second.app) == ("hedy-app", "enricher-app")


def test_app_name_of_export(tmp_path: Path) -> None:
    folder = connection_folder(tmp_path / "my-app" / "connections", "apiKey")
    assert find_connection(folder).app == "my-app"


def test_bundle_app_defaults_to_file_name(tmp_path: Path) -> None:
    bundle = tmp_path / "acme.json"
    bundle.write_text(json.dumps({"communication": {"url": "https://api.example.com"}}))
    assert find_connection(bundle).app == "acme"
