"""Table-driven checks of validate_values: each case in cases.json gives a field spec, the values,
their source, and the exact problems ([path, message] pairs) and normalized values expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from imlconnect.params import parse_parameters, validate_values

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "cases.json").read_text(encoding="utf-8"))


def test_table_is_large() -> None:
    assert len(CASES) >= 150


def test_case_ids_unique() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    spec, spec_problems = parse_parameters(case["fields"])
    spec_errors = [problem.path for problem in spec_problems if problem.severity == "error"]
    assert spec_errors == case.get("spec_error_paths", [])

    values, problems = validate_values(spec, case["values"], source=case["source"])

    errors = [[problem.path, problem.message] for problem in problems if problem.severity == "error"]
    assert errors == case["problems"]
    warnings = [[problem.path, problem.message] for problem in problems if problem.severity == "warning"]
    assert warnings == case.get("warnings", [])
    if "normalized" in case:
        assert values == case["normalized"]
        assert [type(value) for value in values.values()] == [
            type(value) for value in case["normalized"].values()
        ]
