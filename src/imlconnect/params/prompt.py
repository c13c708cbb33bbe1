"""Interactive prompting for required parameters that have no value.

The command line calls `prompt_missing` only when stdin is a terminal. Secret fields (password,
cert, pkey) are read without echo through `getpass`. Answers are coerced as text values are
(`source="text"` of `validate_values`) and checked at once; an invalid answer shows the problem
and asks again.
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from imlconnect.errors import ParametersError, Problem
from imlconnect.params import messages
from imlconnect.params.coerce import CoercionError, coerce_text
from imlconnect.params.fields import BOOLEAN_TYPES, SELECT_TYPES, Field, ParameterSpec
from imlconnect.params.validate import _Validation, join_path

logger = logging.getLogger(__name__)


def _print(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def _introduce(field: Field, out: TextIO) -> None:
    """Write the field's label, name, type and help, and the options of a select."""
    _print(out, "")
    _print(out, f"{field.title} ({field.name}, {field.type}, required)")
    if field.help:
        _print(out, f"  {field.help}")
    if field.type in BOOLEAN_TYPES:
        _print(out, "  Answer true or false.")
    if field.type in SELECT_TYPES and field.options is not None and field.options.options:
        _print(out, "  Options (type the value or its number):")
        for number, option in enumerate(field.options.options, start=1):
            label = f" ({option.label})" if option.label else ""
            _print(out, f"    {number}. {messages.quote_value(option.value)}{label}")
        if field.multiple:
            _print(out, '  Several values: write a JSON list, such as ["a", "b"].')


def _pick_option_by_number(field: Field, answer: str) -> Any:
    """Return the option value for an answer like `2`, unless `2` is itself an option value."""
    if field.type not in SELECT_TYPES or field.options is None or field.multiple:
        return None
    options = field.options.options
    if not answer.strip().isdigit():
        return None
    if any(str(option.value) == answer.strip() for option in options):
        return None
    number = int(answer.strip())
    if 1 <= number <= len(options):
        return options[number - 1].value
    return None


def read_answer(field: Field, answer: str) -> tuple[Any, str | None]:
    """Turn one typed answer into a value for `field`. Return (value, problem message or None)."""
    if answer == "":
        return None, messages.MANDATORY
    by_number = _pick_option_by_number(field, answer)
    if by_number is not None:
        value: Any = by_number
    else:
        try:
            value = coerce_text(field, answer)
        except CoercionError as error:
            return None, error.message
    check = _Validation("json")
    path = field.name or "value"
    value = check.check_value(field, value, path)
    errors = [problem for problem in check.problems if problem.severity == "error"]
    if errors:
        first = errors[0]
        where = "" if first.path == path else f"{first.path}: "
        return None, where + first.message
    return value, None


def prompt_missing(
    spec: ParameterSpec,
    values: Mapping[str, Any],
    *,
    input_fn: Callable[[str], str] = input,
    secret_fn: Callable[[str], str] = getpass.getpass,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Ask for every required field that is active and has no value, then return all values.

    Fields are asked in spec order; a nested field that an answer activates is asked next.
    Secret fields are read with `secret_fn` (no echo), others with `input_fn`; the prompt text
    for the latter goes to `out`, which is the current `sys.stderr` when None. Each field is asked until its answer passes its checks.
    Returns a new dict: the given values plus the typed answers. Raises ParametersError when
    the input ends (EOF) before every field has a value.
    """
    stream = out if out is not None else sys.stderr
    result: dict[str, Any] = dict(values)
    prompted: set[str] = set()
    while True:
        pending = [
            field for field in spec.missing_required(result) if field.name and field.name not in prompted
        ]
        if not pending:
            return result
        field = pending[0]
        assert field.name is not None
        prompted.add(field.name)
        try:
            result[field.name] = _ask(field, input_fn=input_fn, secret_fn=secret_fn, out=stream)
        except EOFError:
            remaining = [field] + pending[1:]
            problems = [
                Problem(path=join_path("parameters", item.name or ""), message=messages.MANDATORY)
                for item in remaining
            ]
            names = ", ".join(item.name or "" for item in remaining)
            raise ParametersError(
                f"Input ended before these required parameters had a value: {names}. "
                "Pass them with --param NAME=VALUE or --params-file.",
                problems,
            ) from None


def _ask(
    field: Field,
    *,
    input_fn: Callable[[str], str],
    secret_fn: Callable[[str], str],
    out: TextIO,
) -> Any:
    _introduce(field, out)
    prompt = f"{field.title}: "
    while True:
        if field.is_secret:
            answer = secret_fn(prompt)
        else:
            out.write(prompt)
            out.flush()
            answer = input_fn("")
        value, problem = read_answer(field, answer)
        if problem is None:
            logger.debug("prompted parameter %s", field.name)
            return value
        _print(out, f"  {problem} Try again.")
