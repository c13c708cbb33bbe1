"""Finding connection files in every layout: bundles, connection folders, app folders, the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imlconnect.errors import SpecError, UsageError
from imlconnect.spec.layout import find_connection, list_connections

COMMUNICATION = '{"url": "https://api.example.com/me"}'


def write(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def manifest(app: Path, connections: dict[str, object], general: dict[str, str] | None = None) -> Path:
    content = {
        "fileVersion": 1,
        "generalCodeFiles": general or {"base": "general/base.iml.json", "common": "general/common.json"},
        "components": {"connection": connections, "module": {}, "rpc": {}, "webhook": {}, "function": {}},
        "origins": [
            {"label": "Make", "baseUrl": "https://eu1.make.com/api", "appId": "my-app", "appVersion": 1}
        ],
    }
    return write(app / "makecomapp.json", json.dumps(content))


def local_dev_app(tmp_path: Path, ids: tuple[str, ...]) -> Path:
    app = tmp_path / "app"
    connections: dict[str, object] = {}
    for connection_id in ids:
        folder = app / "connections" / connection_id
        write(folder / f"{connection_id}.communication.iml.json", COMMUNICATION)
        write(folder / f"{connection_id}.params.iml.json", "[]")
        write(folder / f"{connection_id}.common.json")
        connections[connection_id] = {
            "label": f"Label {connection_id}",
            "connectionType": "basic",
            "codeFiles": {
                "communication": f"connections/{connection_id}/{connection_id}.communication.iml.json",
                "params": f"connections/{connection_id}/{connection_id}.params.iml.json",
                "common": f"connections/{connection_id}/{connection_id}.common.json",
            },
        }
    write(app / "general" / "base.iml.json", '{"baseUrl": "https://api.example.com"}')
    write(app / "general" / "common.json")
    manifest(app, connections)
    return app


def export_app(tmp_path: Path, names: tuple[str, ...]) -> Path:
    app = tmp_path / "export"
    write(app / "base.imljson", '{"baseUrl": "https://api.example.com"}')
    write(app / "common.imljson")
    write(app / "metadata.json", '{"name": "exported-app", "label": "Exported", "version": 3}')
    for name in names:
        folder = app / "connections" / name
        write(folder / "api.imljson", COMMUNICATION)
        write(folder / "parameters.imljson", "[]")
        write(folder / "metadata.json", json.dumps({"name": name, "label": name.title(), "type": "basic"}))
    return app


# --- bundle and single files ----------------------------------------------------------------------


def test_bundle_file(tmp_path: Path) -> None:
    bundle = write(
        tmp_path / "conn.json", json.dumps({"communication": {"url": "https://x.test"}, "name": "acme"})
    )
    files = find_connection(bundle)
    assert (files.layout, files.bundle, files.name) == ("bundle", bundle, "acme")


def test_bundle_name_from_file(tmp_path: Path) -> None:
    bundle = write(tmp_path / "acme.iml.json", json.dumps({"communication": {}}))
    assert find_connection(bundle).name == "acme"


def test_bundle_label_and_app(tmp_path: Path) -> None:
    bundle = write(tmp_path / "b.json", json.dumps({"communication": {}, "label": "Acme", "app": "acme-app"}))
    files = find_connection(bundle)
    assert (files.label, files.app) == ("Acme", "acme-app")


def test_communication_file_as_path(tmp_path: Path) -> None:
    communication = write(tmp_path / "conn" / "api.imljson", COMMUNICATION)
    write(tmp_path / "conn" / "parameters.imljson", "[]")
    files = find_connection(communication)
    assert (files.communication, files.parameters) == (
        communication,
        tmp_path / "conn" / "parameters.imljson",
    )


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Path not found"):
        find_connection(tmp_path / "nothing")


def test_folder_without_communication(tmp_path: Path) -> None:
    write(tmp_path / "conn" / "parameters.imljson", "[]")
    with pytest.raises(SpecError, match="No communication file found"):
        find_connection(tmp_path / "conn")


# --- connection folders ---------------------------------------------------------------------------


def test_local_dev_names(tmp_path: Path) -> None:
    folder = tmp_path / "apiKey"
    write(folder / "apiKey.communication.iml.json", COMMUNICATION)
    write(folder / "apiKey.params.iml.json", "[]")
    write(folder / "apiKey.common.json")
    files = find_connection(folder)
    assert files.files() == {
        "communication": str(folder / "apiKey.communication.iml.json"),
        "parameters": str(folder / "apiKey.params.iml.json"),
        "common": str(folder / "apiKey.common.json"),
    }


def test_name_from_file_prefix(tmp_path: Path) -> None:
    write(tmp_path / "folder" / "my-conn.communication.iml.json", COMMUNICATION)
    assert find_connection(tmp_path / "folder").name == "my-conn"


@pytest.mark.parametrize(
    ("communication", "parameters"),
    [
        ("api.imljson", "parameters.imljson"),
        ("api.json", "parameters.json"),
        ("api.iml.json", "parameters.iml.json"),
        ("communication.imljson", "params.imljson"),
        ("communication.json", "parameters.json"),
        ("communication.iml.json", "params.iml.json"),
        ("connection.imljson", "parameters.imljson"),
        ("connection-communication.jsonc", "connection-parameters.json"),
        ("x.communication.iml.json", "x.parameters.iml.json"),
        ("x.communication.iml.json", "x.params.iml.json"),
    ],
)
def test_file_name_variants(tmp_path: Path, communication: str, parameters: str) -> None:
    folder = tmp_path / "conn"
    write(folder / communication, COMMUNICATION)
    write(folder / parameters, "[]")
    files = find_connection(folder)
    assert (files.communication, files.parameters) == (folder / communication, folder / parameters)


def test_oauth_file_name_flag(tmp_path: Path) -> None:
    write(tmp_path / "c" / "c.oauth-communication.iml.json", "{}")
    files = find_connection(tmp_path / "c")
    assert files.oauth_file_name is True


def test_plain_file_name_not_oauth(tmp_path: Path) -> None:
    write(tmp_path / "c" / "api.imljson", COMMUNICATION)
    assert find_connection(tmp_path / "c").oauth_file_name is False


def test_connection_metadata_type(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write(folder / "api.imljson", COMMUNICATION)
    write(folder / "metadata.json", '{"name": "c-123", "label": "Cats", "type": "apikey"}')
    files = find_connection(folder)
    assert (files.connection_type, files.name, files.label) == ("apikey", "c-123", "Cats")


def test_app_metadata_beside_communication(tmp_path: Path) -> None:
    folder = tmp_path / "make-app"
    write(folder / "connection.imljson", COMMUNICATION)
    write(folder / "metadata.json", '{"name": "seo-app", "label": "SEO", "version": 1}')
    files = find_connection(folder)
    assert (files.app, files.metadata, files.connection_type) == ("seo-app", None, None)


def test_base_in_general_inside(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write(folder / "api.json", COMMUNICATION)
    base = write(folder / "general" / "base.json", "{}")
    app_common = write(folder / "general" / "common.json")
    files = find_connection(folder)
    assert (files.base, files.app_common) == (base, app_common)


def test_base_beside_communication(tmp_path: Path) -> None:
    folder = tmp_path / "make-app"
    write(folder / "connection-communication.jsonc", COMMUNICATION)
    base = write(folder / "base.jsonc", "{}")
    assert find_connection(folder).base == base


def test_base_in_parent_folder(tmp_path: Path) -> None:
    write(tmp_path / "make" / "connection" / "api.imljson", COMMUNICATION)
    base = write(tmp_path / "make" / "base.imljson", "{}")
    assert find_connection(tmp_path / "make" / "connection").base == base


def test_base_in_base_folder(tmp_path: Path) -> None:
    write(tmp_path / "app" / "connections" / "c" / "c.communication.iml.json", COMMUNICATION)
    base = write(tmp_path / "app" / "base" / "base.iml.json", "{}")
    assert find_connection(tmp_path / "app" / "connections" / "c").base == base


def test_connection_common_not_app_common(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    write(folder / "api.iml.json", COMMUNICATION)
    common = write(folder / "common.json")
    files = find_connection(folder)
    assert (files.common, files.app_common) == (common, None)


def test_app_common_beside_base(tmp_path: Path) -> None:
    write(tmp_path / "src" / "connections" / "g" / "g.communication.iml.json", COMMUNICATION)
    write(tmp_path / "src" / "base.iml.json", "{}")
    common = write(tmp_path / "src" / "common.iml.json")
    assert find_connection(tmp_path / "src" / "connections" / "g").app_common == common


def test_functions_folder(tmp_path: Path) -> None:
    write(tmp_path / "app" / "connections" / "c" / "api.imljson", COMMUNICATION)
    write(tmp_path / "app" / "functions" / "getRefreshToken" / "code.js", "")
    files = find_connection(tmp_path / "app" / "connections" / "c")
    assert "getRefreshToken" in files.custom_functions


def test_two_named_communications_ambiguous(tmp_path: Path) -> None:
    write(tmp_path / "c" / "a.communication.iml.json", COMMUNICATION)
    write(tmp_path / "c" / "b.communication.iml.json", COMMUNICATION)
    with pytest.raises(SpecError, match="Several communication files"):
        find_connection(tmp_path / "c")


def test_connection_picks_named_file(tmp_path: Path) -> None:
    write(tmp_path / "c" / "a.communication.iml.json", COMMUNICATION)
    chosen = write(tmp_path / "c" / "b.communication.iml.json", COMMUNICATION)
    assert find_connection(tmp_path / "c", connection="b").communication == chosen


# --- app folders ----------------------------------------------------------------------------------


def test_manifest_single_connection(tmp_path: Path) -> None:
    app = local_dev_app(tmp_path, ("apiKey",))
    files = find_connection(app)
    assert (files.layout, files.name, files.label, files.connection_type) == (
        "makecomapp",
        "apiKey",
        "Label apiKey",
        "basic",
    )


def test_manifest_code_files(tmp_path: Path) -> None:
    app = local_dev_app(tmp_path, ("apiKey",))
    files = find_connection(app)
    assert files.files() == {
        "communication": str(app / "connections" / "apiKey" / "apiKey.communication.iml.json"),
        "parameters": str(app / "connections" / "apiKey" / "apiKey.params.iml.json"),
        "common": str(app / "connections" / "apiKey" / "apiKey.common.json"),
        "app_common": str(app / "general" / "common.json"),
        "base": str(app / "general" / "base.iml.json"),
        "manifest": str(app / "makecomapp.json"),
    }


def test_manifest_app_id(tmp_path: Path) -> None:
    assert find_connection(local_dev_app(tmp_path, ("a",))).app == "my-app"


def test_manifest_ambiguous_lists_ids(tmp_path: Path) -> None:
    app = local_dev_app(tmp_path, ("first", "second"))
    with pytest.raises(UsageError, match="2 connections: first, second"):
        find_connection(app)


def test_manifest_pick_connection(tmp_path: Path) -> None:
    app = local_dev_app(tmp_path, ("first", "second"))
    assert find_connection(app, connection="second").name == "second"


def test_manifest_unknown_connection(tmp_path: Path) -> None:
    app = local_dev_app(tmp_path, ("first",))
    with pytest.raises(UsageError, match="'other' not found"):
        find_connection(app, connection="other")


def test_manifest_without_code_files(tmp_path: Path) -> None:
    app = tmp_path / "app"
    communication = write(
        app / "connections" / "sudomock-api-key" / "sudomock-api-key.communication.iml.json", COMMUNICATION
    )
    manifest(app, {"sudomockApiKey": {"label": "SudoMock", "connectionType": "basic"}})
    assert find_connection(app).communication == communication


def test_manifest_kebab_connection_option(tmp_path: Path) -> None:
    app = tmp_path / "app"
    write(app / "connections" / "sudomock-api-key" / "sudomock-api-key.communication.iml.json", COMMUNICATION)
    manifest(app, {"sudomockApiKey": {}, "other": {}})
    write(app / "connections" / "other" / "other.communication.iml.json", COMMUNICATION)
    assert find_connection(app, connection="sudomock-api-key").name == "sudomockApiKey"


def test_manifest_list_connections(tmp_path: Path) -> None:
    assert list_connections(local_dev_app(tmp_path, ("b", "a"))) == ["a", "b"]


def test_manifest_custom_functions(tmp_path: Path) -> None:
    app = tmp_path / "app"
    write(app / "connections" / "c" / "c.communication.iml.json", COMMUNICATION)
    content = {"components": {"connection": {"c": {}}, "function": {"getApiURL": {}}}, "generalCodeFiles": {}}
    write(app / "makecomapp.json", json.dumps(content))
    assert find_connection(app).custom_functions == frozenset({"getApiURL"})


def test_connection_folder_reads_manifest_above(tmp_path: Path) -> None:
    app = local_dev_app(tmp_path, ("apiKey",))
    files = find_connection(app / "connections" / "apiKey")
    assert (files.label, files.manifest) == ("Label apiKey", app / "makecomapp.json")


def test_export_single_connection(tmp_path: Path) -> None:
    app = export_app(tmp_path, ("cats-1",))
    files = find_connection(app)
    assert (files.layout, files.name, files.app, files.base) == (
        "export",
        "cats-1",
        "exported-app",
        app / "base.imljson",
    )


def test_export_app_common(tmp_path: Path) -> None:
    app = export_app(tmp_path, ("cats-1",))
    assert find_connection(app).app_common == app / "common.imljson"


def test_export_ambiguous(tmp_path: Path) -> None:
    app = export_app(tmp_path, ("a", "b"))
    with pytest.raises(UsageError, match="Choose one with --connection"):
        find_connection(app)


def test_export_pick(tmp_path: Path) -> None:
    app = export_app(tmp_path, ("a", "b"))
    assert find_connection(app, connection="b").communication == app / "connections" / "b" / "api.imljson"


def test_export_list_connections(tmp_path: Path) -> None:
    assert list_connections(export_app(tmp_path, ("a", "b"))) == ["a", "b"]


# --- the corpus -------------------------------------------------------------------------------------

ROLE_NAMES = {"params": "parameters", "connection_metadata": "metadata"}
IGNORED_ROLES = {"module_communication", "scope_list", "default_scope", "install_spec", "install_directives"}


def corpus_entries(corpus: Path) -> list[dict[str, object]]:
    return json.loads((corpus / "MANIFEST.json").read_text())["entries"]


def test_corpus_has_every_entry(corpus: Path) -> None:
    assert len(corpus_entries(corpus)) == 62


def test_corpus_files_found(corpus: Path) -> None:
    mismatches = []
    for entry in corpus_entries(corpus):
        folder = corpus / str(entry["entry"])
        expected = {
            ROLE_NAMES.get(item["role"], item["role"]): str(folder / item["file"])
            for item in entry["files"]  # type: ignore[attr-defined]
            if item["role"] not in IGNORED_ROLES
        }
        found = find_connection(folder).files()
        if found != expected:
            mismatches.append((entry["entry"], found, expected))
    assert mismatches == []
