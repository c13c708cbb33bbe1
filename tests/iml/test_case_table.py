"""Run the table of IML cases in tests/iml/cases/*.json through the real template engine.

Each case is `{"t": template, "ctx": variables, "want": value}` or `{"t": ..., "ctx": ...,
"error": "part of the message"}`, with optional `"tz"` (default UTC) and `"now"` (default
2024-05-01T10:00:00.000Z). `want` is the JSON form that `imlconnect eval --json` prints, so
undefined is `{"$undefined": true}`, dates are ISO text and bytes `{"$bytes": base64}`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from imlconnect.iml import Context, compile_template
from imlconnect.iml.errors import IMLError
from imlconnect.iml.values import to_json_compatible

CASES_DIR = Path(__file__).resolve().parent / "cases"
DEFAULT_NOW = "2024-05-01T10:00:00.000Z"


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for index, case in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            params.append(pytest.param(case, id=f"{path.stem}-{index}-{case['t'][:60]}"))
    return params


def same_json(got: Any, want: Any) -> bool:
    """Compare JSON values, also by Python type, so 25 and 25.0 or 1 and True differ."""
    if type(got) is not type(want):
        return False
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(same_json(got[key], want[key]) for key in want)
    if isinstance(want, list):
        return len(got) == len(want) and all(same_json(a, b) for a, b in zip(got, want))
    return bool(got == want)


def render(case: dict[str, Any]) -> Any:
    now = datetime.fromisoformat(case.get("now", DEFAULT_NOW))
    context = Context(variables=case.get("ctx", {}), now=now, timezone=case.get("tz", "UTC"))
    return compile_template(case["t"]).render(context)


def test_table_is_large() -> None:
    assert len(load_cases()) >= 400


@pytest.mark.parametrize("case", load_cases())
def test_case(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(IMLError) as caught:
            render(case)
        assert case["error"].lower() in str(caught.value).lower()
        return
    got = to_json_compatible(render(case), for_output=True)
    assert same_json(got, case["want"]), f"got {got!r}, want {case['want']!r}"
