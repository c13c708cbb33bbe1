"""Helpers that print results for people and for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import Problem


def print_json(payload: Any) -> None:
    """Print one JSON document on stdout, UTF-8, with a trailing newline."""
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def describe_problems(problems: list[Problem]) -> str:
    return "\n".join(f"  {problem.describe()}" for problem in problems)


def style(text: str, **kwargs: Any) -> str:
    """Colour text only when stdout is a terminal, so pipes and files get plain text."""
    if sys.stdout.isatty():
        return click.style(text, **kwargs)
    return text


def failure_json(error_type: str, message: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    """Build the `verify --json` object of a run that did not start (bad spec, parameters, usage)."""
    return {
        "ok": False,
        "error": {"type": error_type, "message": message, "status": None, "problems": problems},
        "data": {},
        "metadata": None,
        "uid": None,
        "connection_id": None,
    }
