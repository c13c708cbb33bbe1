"""Collect the IML template strings of the connection corpus that the test suite uses.

The corpus is a folder with one sub-folder per connection, and its `MANIFEST.json` gives each
file a role. The benchmark reads the connection communication files, the app base files in
`general/` and the module communication files in `module/`. Without a manifest the same files
are picked by name. The files are JSON with comments, so they are read with `json5` from the
json-five package.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5

#: Manifest roles of the files the benchmark reads.
ROLES = frozenset({"communication", "base", "module_communication"})

_SPEC_SUFFIXES = (".json", ".imljson", ".jsonc")


@dataclass(frozen=True)
class CorpusTemplate:
    """One JSON string value that contains `{{`, with the file and JSON path it came from."""

    source: str
    file: str
    json_path: str


def default_corpus_dir() -> Path:
    """Return the corpus folder that the test suite reads by default."""
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


def spec_files(corpus: Path) -> list[Path]:
    """List the communication, base and module files of every connection folder, sorted."""
    manifest = corpus / "MANIFEST.json"
    if manifest.is_file():
        entries = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
        files = [
            corpus / entry["entry"] / record["file"]
            for entry in entries
            for record in entry["files"]
            if record["role"] in ROLES
        ]
        return sorted(files)
    return sorted(
        path for folder in sorted(corpus.iterdir()) if folder.is_dir() for path in _files_by_name(folder)
    )


def _files_by_name(folder: Path) -> Iterator[Path]:
    for path in folder.iterdir():
        if path.is_file() and path.name.endswith(_SPEC_SUFFIXES) and _is_communication(path.name):
            yield path
    for sub, accept in (("general", lambda name: name.startswith("base.")), ("module", lambda name: True)):
        if (folder / sub).is_dir():
            for path in (folder / sub).iterdir():
                if path.is_file() and path.name.endswith(_SPEC_SUFFIXES) and accept(path.name):
                    yield path


def _is_communication(name: str) -> bool:
    return "communication" in name or name.split(".")[0] in ("api", "connection")


def collect_templates(corpus: Path) -> list[CorpusTemplate]:
    """Return every string value containing `{{` in the spec files, in file and document order.

    Duplicates are kept: a spec that repeats a template renders it once per use. Object keys
    (such as the spread key `{{...}}`) are not values and are skipped.
    """
    templates: list[CorpusTemplate] = []
    for path in spec_files(corpus):
        document = json5.loads(path.read_text(encoding="utf-8-sig"))
        name = path.relative_to(corpus).as_posix()
        for json_path, text in _strings(document, "$"):
            if "{{" in text:
                templates.append(CorpusTemplate(text, name, json_path))
    return templates


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
