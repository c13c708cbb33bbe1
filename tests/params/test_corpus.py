"""Every connection in the shared corpus of real apps has a parameters spec without errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import json5
import pytest

from imlconnect.params import describe_form, parse_parameters, validate_values

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PARAMETER_FILE = re.compile(
    r"(\.params\.iml\.json|^parameters\.imljson|^parameters\.json|^parameters\.iml\.json|^params\.iml\.json"
    r"|^params\.imljson|\.parameters\.iml\.json|^connection-parameters\.json)$"
)


def corpus_folders() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(path for path in CORPUS.iterdir() if path.is_dir())


def read_parameters(folder: Path) -> Any:
    """Read the parameters file of a connection folder, or the `parameters` key of a one-file spec."""
    files = sorted(path for path in folder.iterdir() if path.is_file() and PARAMETER_FILE.search(path.name))
    if files:
        return json5.loads(files[0].read_text(encoding="utf-8"))
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".json", ".imljson"):
            data = json5.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("parameters"), list):
                return data["parameters"]
    raise AssertionError(f"no parameters spec found in {folder.name}")


FOLDERS = corpus_folders()


@pytest.mark.skipif(not FOLDERS, reason="no shared corpus beside the repository")
def test_corpus_present() -> None:
    assert len(FOLDERS) >= 60


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_corpus_spec_clean(folder: Path) -> None:
    spec, problems = parse_parameters(read_parameters(folder), file=folder.name)
    errors = [problem.describe() for problem in problems if problem.severity == "error"]
    assert errors == []
    assert len(describe_form(spec)) == len(list(spec.iter_fields()))


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_corpus_empty_values_flag_required(folder: Path) -> None:
    spec, _problems = parse_parameters(read_parameters(folder))
    _values, problems = validate_values(spec, {})
    flagged = [problem.path for problem in problems if problem.message == "Field is mandatory."]
    required = [
        f"parameters.{field.name}" for field in spec.fields if field.required and not field.has_default
    ]
    assert flagged == required
