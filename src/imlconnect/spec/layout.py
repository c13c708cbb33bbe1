"""Finding the files of one connection in the layouts that Make apps use.

PATH may be:

- a bundle file: one JSON object `{"communication": ..., "parameters": [...], "common": {...}}`,
  optionally with `base` (an object with `baseUrl`) or `baseUrl`, `name`, `label` and `app`;
- a connection folder with a communication file and usually a parameters file. Their names
  follow local development (`<id>.communication.iml.json`, `<id>.params.iml.json`,
  `<id>.common.json`), older exports (`api.imljson`, `parameters.imljson`, `common.imljson`,
  `metadata.json`) or one of the variants apps use (`api.json`, `communication.json`,
  `connection.imljson`, `<name>-communication.jsonc`, ...);
- an app folder with `makecomapp.json`, the local-development manifest of the Make Apps SDK
  extension for VS Code: `components.connection` maps each connection id to its metadata
  (`label`, `connectionType`) and `codeFiles` (role -> path relative to the manifest), and
  `generalCodeFiles` (`codeFiles` in older manifests) names the app's `base` and `common`;
- an app folder with a `connections/<id>/` sub-folder per connection (older exports).

The app's base (only its `baseUrl` applies to connections) and app-level common data are looked
up in a `general/` or `base/` folder beside the connection files, or in the app folder.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import Problem, SpecError, UsageError
from .reader import read_imljson

logger = logging.getLogger(__name__)

MANIFEST_NAME = "makecomapp.json"

_EXTENSIONS = r"(?:iml\.json|imljson|json|jsonc)"
# The optional prefix is the connection id (`<id>.communication.iml.json`, `<id>-parameters.json`).
_COMMUNICATION_NAMES = re.compile(
    rf"^(?:(?P<prefix>.+?)[.-])?(?P<kind>communication|oauth-communication|api)\.{_EXTENSIONS}$|"
    rf"^(?P<plain>connection)\.{_EXTENSIONS}$",
    re.IGNORECASE,
)
_PARAMETERS_NAMES = re.compile(
    rf"^(?:(?P<prefix>.+?)[.-])?(?:params|parameters)\.{_EXTENSIONS}$", re.IGNORECASE
)
_COMMON_NAMES = re.compile(rf"^(?:(?P<prefix>.+?)[.-])?common\.{_EXTENSIONS}$", re.IGNORECASE)
_BASE_NAMES = re.compile(rf"^base\.{_EXTENSIONS}$", re.IGNORECASE)
_APP_COMMON_NAMES = re.compile(rf"^common\.{_EXTENSIONS}$", re.IGNORECASE)

LayoutKind = Literal["bundle", "connection_folder", "makecomapp", "export"]


@dataclass
class ConnectionFiles:
    """The files that make up one connection, and the metadata its layout gives.

    `communication` is None for a bundle, whose `bundle` file contains the communication.
    `connection_type` comes from the manifest's `connectionType` or the connection's
    `metadata.json` (`basic`, `oauth`, `oauth-refresh`, or another word some apps use).
    `custom_functions` names the app's custom IML functions found in its manifest or
    `functions/` folder. `oauth_file_name` is set when the communication file is named as an
    OAuth communication (`<id>.oauth-communication.iml.json`). `notes` holds warnings about
    unreadable side files (manifest, metadata) that did not stop the search.
    """

    name: str
    layout: LayoutKind
    communication: Path | None = None
    bundle: Path | None = None
    parameters: Path | None = None
    common: Path | None = None
    app_common: Path | None = None
    base: Path | None = None
    metadata: Path | None = None
    manifest: Path | None = None
    app: str | None = None
    label: str | None = None
    connection_type: str | None = None
    custom_functions: frozenset[str] = frozenset()
    oauth_file_name: bool = False
    notes: list[Problem] = field(default_factory=list)

    def files(self) -> dict[str, str]:
        """Return role -> file path for every file that was found."""
        roles = {
            "bundle": self.bundle,
            "communication": self.communication,
            "parameters": self.parameters,
            "common": self.common,
            "app_common": self.app_common,
            "base": self.base,
            "metadata": self.metadata,
            "manifest": self.manifest,
        }
        return {role: str(path) for role, path in roles.items() if path is not None}


def list_connections(path: str | Path) -> list[str]:
    """Return the ids of the connections in PATH (one id for a bundle or a connection folder)."""
    root = _existing_path(path)
    if root.is_file():
        return [_bundle_or_file_name(root)]
    if (root / MANIFEST_NAME).is_file():
        return sorted(_manifest_connections(root / MANIFEST_NAME))
    if (root / "connections").is_dir() and _communication_candidates(root) == []:
        return _export_connection_ids(root)
    return [_connection_folder_name(root)]


def find_connection(path: str | Path, connection: str | None = None) -> ConnectionFiles:
    """Find the files of one connection in PATH.

    `connection` picks a connection of an app folder by id. It may be left out when the app has
    only one. Raises UsageError when PATH does not exist or the connection cannot be chosen, and
    SpecError when the files that a layout needs are missing or unreadable.
    """
    root = _existing_path(path)
    if root.is_file():
        found = _from_file(root)
        _check_requested_name(found, connection, root)
    elif (root / MANIFEST_NAME).is_file():
        found = _from_manifest(root, connection)
    elif (root / "connections").is_dir() and _communication_candidates(root) == []:
        found = _from_export(root, connection)
    else:
        found = _from_connection_folder(root, "connection_folder", name=connection)
        _check_requested_name(found, connection, root)
    if found.app is None and found.communication is not None:
        found.app = _app_name_for(found.communication.parent)
    return found


def _check_requested_name(files: ConnectionFiles, connection: str | None, root: Path) -> None:
    """Reject a `connection` name that PATH does not have.

    Without this check a mistyped stored-connection id would silently verify and store a new
    connection under the wrong name.
    """
    if connection is None:
        return
    if files.bundle is not None or files.communication is None:
        actual = files.name
        known = {files.name}
    else:
        prefix = _name_prefix(files.communication.name)
        actual = prefix or files.communication.parent.resolve().name
        known = {actual, files.communication.parent.resolve().name}
    if connection in known:
        return
    raise UsageError(
        f"{root} holds the connection '{actual}', not '{connection}'. If '{connection}' is the id "
        "of a stored connection, check it with `imlconnect connections list`."
    )


# --- PATH kinds -------------------------------------------------------------------------------


def _existing_path(path: str | Path) -> Path:
    root = Path(path).expanduser()
    if not root.exists():
        raise UsageError(
            f"Path not found: {root}. Give a connection folder, an app folder or a bundle JSON file."
        )
    return root


def _bundle_or_file_name(file: Path) -> str:
    name = file.name
    for suffix in (".iml.json", ".imljson", ".jsonc", ".json"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return file.stem


def _from_file(file: Path) -> ConnectionFiles:
    """A single file is a bundle when its root object has `communication`, else a communication file."""
    # A bundle may hold common data, which is secret, so syntax errors quote nothing.
    document = read_imljson(file, sensitive=True)
    value = document.value
    if isinstance(value, dict) and "communication" in value:
        name = value.get("name")
        files = ConnectionFiles(
            name=name if isinstance(name, str) else _bundle_or_file_name(file),
            layout="bundle",
            bundle=file,
            app=_text_or_none(value.get("app")) or _bundle_or_file_name(file),
            label=_text_or_none(value.get("label")),
        )
        files.connection_type = _text_or_none(value.get("type"))
        return files
    # Any other file is taken as the communication of the connection folder it sits in.
    files = _from_connection_folder(file.parent, "connection_folder", communication=file)
    return files


def _from_connection_folder(
    folder: Path,
    layout: LayoutKind,
    *,
    name: str | None = None,
    communication: Path | None = None,
) -> ConnectionFiles:
    """Collect a connection folder's files and the app-level files around it."""
    folder_name = name or folder.resolve().name
    if communication is None:
        communication = _pick(folder, _communication_candidates(folder), "communication", folder_name)
    if communication is None:
        raise SpecError(
            f"No communication file found in {folder}. Expected a file such as "
            f"<id>.communication.iml.json, api.imljson, api.json or communication.json.",
            [Problem(path="communication", message="Missing communication file.", file=str(folder))],
        )
    prefix = _name_prefix(communication.name)
    connection_name = name or prefix or folder_name
    files = ConnectionFiles(name=connection_name, layout=layout, communication=communication)
    kind_match = _COMMUNICATION_NAMES.match(communication.name)
    files.oauth_file_name = bool(
        kind_match and (kind_match.group("kind") or "").lower() == "oauth-communication"
    )
    files.parameters = _pick(
        folder, _matching(folder, _PARAMETERS_NAMES), "parameters", prefix or folder_name
    )
    files.common = _pick(folder, _matching(folder, _COMMON_NAMES), "common", prefix or folder_name)
    metadata = folder / "metadata.json"
    if metadata.is_file():
        _read_metadata(files, metadata)

    general_base, general_common = _find_app_files(folder)
    files.base = files.base or general_base
    files.app_common = files.app_common or general_common
    if layout != "makecomapp":
        manifest = _find_manifest_above(folder)
        if manifest is not None:
            _apply_manifest_metadata(files, manifest, folder)
    files.custom_functions = files.custom_functions | _functions_near(folder)
    return files


def _app_name_for(folder: Path) -> str:
    """Name the app of a connection folder that no manifest describes.

    In an export (`<app>/connections/<id>/`) the app folder names it; otherwise the connection
    folder does, so connections of different apps that share a file name stay apart.
    """
    resolved = folder.resolve()
    if resolved.parent.name == "connections" and resolved.parent.parent.name:
        return resolved.parent.parent.name
    return resolved.name


def _connection_folder_name(folder: Path) -> str:
    prefix = None
    candidates = _communication_candidates(folder)
    if candidates:
        prefix = _name_prefix(candidates[0].name)
    return prefix or folder.resolve().name


def _from_export(app_dir: Path, connection: str | None) -> ConnectionFiles:
    """An app folder with `connections/<id>/` sub-folders (older exports, manifest-less apps)."""
    ids = _export_connection_ids(app_dir)
    chosen = _choose(ids, connection, app_dir)
    folder = app_dir / "connections" / chosen
    files = _from_connection_folder(folder, "export", name=chosen)
    app_metadata = app_dir / "metadata.json"
    if app_metadata.is_file():
        value = read_imljson(app_metadata).value
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            files.app = value["name"]
    return files


def _export_connection_ids(app_dir: Path) -> list[str]:
    connections_dir = app_dir / "connections"
    return sorted(
        child.name
        for child in connections_dir.iterdir()
        if child.is_dir() and _communication_candidates(child)
    )


def _choose(ids: list[str], connection: str | None, where: Path) -> str:
    if connection is not None:
        for candidate in ids:
            if connection in (candidate, _kebab(candidate)) or _kebab(connection) == candidate:
                return candidate
        listed = ", ".join(ids) or "none"
        raise UsageError(f"Connection {connection!r} not found in {where}. Connections found: {listed}.")
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise SpecError(
            f"No connection found in {where}.",
            [Problem(path="communication", message="No connection found.", file=str(where))],
        )
    raise UsageError(
        f"The app in {where} has {len(ids)} connections: {', '.join(ids)}. Choose one with --connection."
    )


# --- makecomapp.json ----------------------------------------------------------------------------


def _manifest_connections(manifest: Path) -> dict[str, dict[str, Any]]:
    """Return connection id -> component metadata from a makecomapp.json."""
    value = read_imljson(manifest).value
    if not isinstance(value, dict):
        raise SpecError(
            f"{manifest}: expected a JSON object.",
            [Problem(path="", message="makecomapp.json must be a JSON object.", file=str(manifest))],
        )
    components = value.get("components")
    connections = components.get("connection") if isinstance(components, dict) else None
    result: dict[str, dict[str, Any]] = {}
    if isinstance(connections, dict):
        for key, meta in connections.items():
            result[key] = meta if isinstance(meta, dict) else {}
    elif isinstance(connections, list):
        # Some early manifests list components instead of mapping them.
        for item in connections:
            if isinstance(item, str):
                result[item] = {}
            elif isinstance(item, dict):
                key = item.get("id") or item.get("name")
                if isinstance(key, str):
                    result[key] = item
    if not result:
        # A manifest without a connection list: fall back to the connections/ folder.
        connections_dir = manifest.parent / "connections"
        if connections_dir.is_dir():
            result = {name: {} for name in _export_connection_ids(manifest.parent)}
    return result


def _from_manifest(app_dir: Path, connection: str | None) -> ConnectionFiles:
    manifest = app_dir / MANIFEST_NAME
    connections = _manifest_connections(manifest)
    chosen = _choose(sorted(connections), connection, app_dir)
    meta = connections[chosen]
    declared = meta.get("codeFiles")
    code_files: dict[str, Any] = declared if isinstance(declared, dict) else {}

    communication = _manifest_path(app_dir, code_files.get("communication"))
    if communication is not None:
        files = _from_connection_folder(
            communication.parent, "makecomapp", name=chosen, communication=communication
        )
    else:
        folder = _connection_folder_for(app_dir, chosen)
        files = _from_connection_folder(folder, "makecomapp", name=chosen)
    for role, attribute in (("params", "parameters"), ("common", "common")):
        explicit = _manifest_path(app_dir, code_files.get(role))
        if explicit is not None:
            setattr(files, attribute, explicit)
    _apply_manifest_metadata(files, manifest, None, component=(chosen, meta))
    return files


def _connection_folder_for(app_dir: Path, connection_id: str) -> Path:
    for candidate in (connection_id, _kebab(connection_id)):
        folder = app_dir / "connections" / candidate
        if folder.is_dir():
            return folder
    raise SpecError(
        f"Connection {connection_id!r} is listed in {app_dir / MANIFEST_NAME} but has no codeFiles and "
        f"no folder connections/{_kebab(connection_id)}/.",
        [
            Problem(
                path="communication", message="Missing communication file.", file=str(app_dir / MANIFEST_NAME)
            )
        ],
    )


def _manifest_path(app_dir: Path, relative: Any) -> Path | None:
    if not isinstance(relative, str) or not relative:
        return None
    candidate = (app_dir / relative).resolve()
    return candidate if candidate.is_file() else None


def _find_manifest_above(folder: Path) -> Path | None:
    for level in (folder.parent, folder.parent.parent):
        manifest = level / MANIFEST_NAME
        if manifest.is_file():
            return manifest
    return None


def _apply_manifest_metadata(
    files: ConnectionFiles,
    manifest: Path,
    folder: Path | None,
    *,
    component: tuple[str, dict[str, Any]] | None = None,
) -> None:
    """Take label, connection type, general files and custom functions from a manifest."""
    try:
        value = read_imljson(manifest).value
    except SpecError as exc:
        files.notes.extend(problem_as_warning(p) for p in exc.problems)
        return
    if not isinstance(value, dict):
        return
    files.manifest = manifest
    app_dir = manifest.parent

    if component is None and folder is not None:
        component = _component_for_folder(value, app_dir, folder)
    if component is not None:
        key, meta = component
        files.name = key
        if isinstance(meta.get("label"), str):
            files.label = meta["label"]
        if isinstance(meta.get("connectionType"), str):
            files.connection_type = meta["connectionType"]

    general = value.get("generalCodeFiles", value.get("codeFiles"))
    if isinstance(general, dict):
        base = _manifest_path(app_dir, general.get("base"))
        common = _manifest_path(app_dir, general.get("common"))
        files.base = base or files.base
        files.app_common = common or files.app_common

    origins = value.get("origins")
    if isinstance(origins, list) and origins and isinstance(origins[0], dict):
        app_id = origins[0].get("appId")
        if isinstance(app_id, str) and files.app is None:
            files.app = app_id

    components = value.get("components")
    functions = components.get("function") if isinstance(components, dict) else None
    if isinstance(functions, dict):
        files.custom_functions = files.custom_functions | frozenset(functions)


def _component_for_folder(
    manifest: dict[str, Any], app_dir: Path, folder: Path
) -> tuple[str, dict[str, Any]] | None:
    components = manifest.get("components")
    connections = components.get("connection") if isinstance(components, dict) else None
    if not isinstance(connections, dict):
        return None
    resolved = folder.resolve()
    for key, meta in connections.items():
        if not isinstance(meta, dict):
            continue
        code_files = meta.get("codeFiles")
        communication = code_files.get("communication") if isinstance(code_files, dict) else None
        if isinstance(communication, str) and (app_dir / communication).resolve().parent == resolved:
            return key, meta
        if folder.name in (key, _kebab(key)):
            return key, meta
    return None


def problem_as_warning(problem: Problem) -> Problem:
    """Return a copy of `problem` with warning severity."""
    return Problem(problem.path, problem.message, problem.file, problem.line, problem.column, "warning")


# --- file name matching ---------------------------------------------------------------------------


def _matching(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    return [child for child in children if child.is_file() and pattern.match(child.name)]


def _communication_candidates(folder: Path) -> list[Path]:
    """Return the files in `folder` that look like a connection communication, best first."""

    def rank(path: Path) -> int:
        match = _COMMUNICATION_NAMES.match(path.name)
        assert match is not None
        if match.group("plain"):
            return 2
        if match.group("prefix") and match.group("kind").lower() != "api":
            return 0
        return 1

    return sorted(_matching(folder, _COMMUNICATION_NAMES), key=rank)


def _name_prefix(file_name: str) -> str | None:
    for pattern in (_COMMUNICATION_NAMES, _PARAMETERS_NAMES, _COMMON_NAMES):
        match = pattern.match(file_name)
        if match is not None:
            prefix = match.groupdict().get("prefix")
            return prefix or None
    return None


def _pick(folder: Path, candidates: list[Path], role: str, preferred: str | None) -> Path | None:
    """Choose one file for a role. Several equally good candidates raise SpecError."""
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    if preferred:
        for candidate in candidates:
            prefix = _name_prefix(candidate.name)
            if prefix is not None and prefix.lower() in (preferred.lower(), _kebab(preferred).lower()):
                return candidate
    if role == "communication":
        # Candidates are sorted best first, and a tie between two named files is ambiguous.
        first, second = candidates[0], candidates[1]
        if _name_prefix(first.name) is None or _name_prefix(second.name) is None:
            return first
    else:
        unnamed = [c for c in candidates if _name_prefix(c.name) is None]
        if len(unnamed) == 1:
            return unnamed[0]
    names = ", ".join(c.name for c in candidates)
    raise SpecError(
        f"Several {role} files in {folder}: {names}. Choose the connection with --connection, or remove the extra files.",
        [Problem(path=role, message=f"Several {role} files: {names}.", file=str(folder))],
    )


def _find_app_files(folder: Path) -> tuple[Path | None, Path | None]:
    """Find the app base and app-level common data for a connection folder.

    Looked up level by level, nearest first: the connection folder, its parent, and its
    grandparent when the parent is a `connections/` folder. At each level the `general/` and
    `base/` folders and the level itself are searched for `base.*` and `common.*`. The
    connection folder's own `common.*` is the connection's common data, so it is skipped here.
    """
    levels: list[Path] = [folder, folder.parent]
    if folder.parent.name.lower() == "connections":
        levels.append(folder.parent.parent)

    base: Path | None = None
    common: Path | None = None
    for level in levels:
        for directory in (level / "general", level / "base", level):
            if not directory.is_dir():
                continue
            if base is None:
                found = _matching(directory, _BASE_NAMES)
                base = found[0] if found else None
            if common is None and directory != folder:
                found_common = _matching(directory, _APP_COMMON_NAMES)
                common = found_common[0] if found_common else None
        if base is not None:
            break
    return base, common


def _functions_near(folder: Path) -> frozenset[str]:
    names: set[str] = set()
    for level in (folder, folder.parent, folder.parent.parent):
        functions_dir = level / "functions"
        if functions_dir.is_dir():
            for child in functions_dir.iterdir():
                stem = child.name.split(".")[0]
                if stem:
                    names.add(stem)
    return frozenset(names)


def _read_metadata(files: ConnectionFiles, metadata: Path) -> None:
    """Read a `metadata.json` beside the communication.

    A connection's metadata has a `type` (`basic`, `oauth`, ...). A file without one is the
    app's metadata, because the communication then sits in the app folder, and only names the app.
    """
    try:
        value = read_imljson(metadata).value
    except SpecError as exc:
        files.notes.extend(problem_as_warning(p) for p in exc.problems)
        return
    if not isinstance(value, dict):
        return
    if not isinstance(value.get("type"), str):
        if isinstance(value.get("name"), str):
            files.app = value["name"]
        return
    files.metadata = metadata
    files.connection_type = value["type"]
    if isinstance(value.get("label"), str):
        files.label = value["label"]
    if isinstance(value.get("name"), str):
        files.name = value["name"]


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _kebab(name: str) -> str:
    """Convert camelCase to kebab-case, as the VS Code extension names connection folders."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "-" + m.group(1).lower(), name)
