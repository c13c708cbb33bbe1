"""`imlconnect eval`: evaluate one IML template against a context file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..errors import UsageError
from .output import echo_err

EXIT_OK, EXIT_USAGE = 0, 2


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(
            f"'{text}' is not an ISO 8601 instant; use a form such as 2024-05-01T10:00:00.000Z.",
            param_hint="--now",
        ) from error
    if moment.tzinfo is None:
        raise click.BadParameter(f"'{text}' has no UTC offset; add Z or +00:00.", param_hint="--now")
    return moment


def _load_context(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot read the context file {path}: {error.strerror}.") from error
    try:
        variables = json.loads(text)
    except ValueError as error:
        raise UsageError(f"The context file {path} is not valid JSON: {error}.") from error
    if not isinstance(variables, dict):
        raise UsageError(f"The context file {path} must hold a JSON object of variables.")
    return variables


def _display(value: Any) -> str:
    from ..iml.values import UNDEFINED, to_json_compatible, to_string

    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(to_json_compatible(value, for_output=True), ensure_ascii=False, indent=2)
    return to_string(value)


def run_eval(template: str, context_file: str | None, now: str | None, timezone: str, as_json: bool) -> int:
    """Compile and render `template`; print the value and its type. Returns the exit code."""
    from ..iml import Context, compile_template
    from ..iml.errors import IMLError, IMLSyntaxError
    from ..iml.values import to_json_compatible, type_name

    variables = _load_context(context_file)
    moment = _parse_now(now)
    try:
        compiled = compile_template(template)
    except IMLSyntaxError as error:
        echo_err(f"Error: {error}")
        caret = error.caret()
        if caret:
            echo_err(caret)
        return EXIT_USAGE
    for warning in compiled.warnings:
        echo_err(f"Warning: {warning}")
    try:
        value = compiled.render(Context(variables=variables, now=moment, timezone=timezone))
    except IMLError as error:
        echo_err(f"Error: {error}")
        return EXIT_USAGE
    if as_json:
        click.echo(json.dumps(to_json_compatible(value, for_output=True), ensure_ascii=False))
    else:
        click.echo(_display(value))
        click.echo(f"type: {type_name(value)}")
    return EXIT_OK
