"""The `imlconnect` command line.

A thin layer over the Python API. Exit codes: 0 success, 1 verification failed (or the thing
asked for failed), 2 bad spec, bad parameters or bad usage.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from ..errors import (
    ConnectionNotFoundError,
    ImlconnectError,
    ParametersError,
    SpecError,
    StoreError,
    UsageError,
)
from ..limits import limits_help
from .output import describe_problems, echo_err, failure_json, print_json

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: Environment variables named `IMLCONNECT_PARAM_<name>` supply parameter values as text.
PARAM_ENV_PREFIX = "IMLCONNECT_PARAM_"


def _configure_logging() -> None:
    level_name = os.environ.get("IMLCONNECT_LOG_LEVEL", "WARNING").upper()
    level = getattr(logging, level_name, logging.WARNING)
    from ..logs import install_handler

    install_handler(level)


def _timezone(value: str | None) -> str:
    name = value or os.environ.get("IMLCONNECT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise click.BadParameter(
            f"'{name}' is not an IANA timezone name; use a name such as UTC or Europe/Prague."
        ) from error
    return name


def _read_json_file(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot read the {what} file {path}: {error.strerror}.") from error
    try:
        import json5

        return json5.loads(text)
    except Exception as error:  # json5 raises its own JSON5DecodeError subclasses
        raise UsageError(f"The {what} file {path} is not valid JSON: {error}") from error


def _open_store(db: str | None) -> Any:
    from ..store import ConnectionStore

    return ConnectionStore.open(db)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="imlconnect")
def cli() -> None:
    """Run and verify Make custom-app connections written in IMLJSON."""
    _configure_logging()


# --- verify --------------------------------------------------------------------------------


def _parse_param_options(items: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"'{item}' is not NAME=VALUE.", param_hint="--param")
        values[name] = value
    return values


def _env_params() -> dict[str, str]:
    return {
        key[len(PARAM_ENV_PREFIX):]: value
        for key, value in os.environ.items()
        if key.startswith(PARAM_ENV_PREFIX) and len(key) > len(PARAM_ENV_PREFIX)
    }


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--connection", "connection", metavar="ID",
              help="Connection to verify: a stored connection id (re-verification) or a connection name in the app.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value, as text; coerced to the field's type. Repeatable.")
@click.option("--params-file", type=click.Path(dir_okay=False), help="JSON file with parameter values.")
@click.option("--common-file", type=click.Path(dir_okay=False), help="JSON file with the app's common data.")
@click.option("--db", metavar="URL", help="SQLAlchemy URL of the store (default: IMLCONNECT_DB or the user data folder).")
@click.option("--save/--no-save", default=True, show_default=True, help="Store the verified connection.")
@click.option("--label", metavar="TEXT", help="Label of the stored connection.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--reveal", is_flag=True, help="Show secret values in the output instead of masking them.")
@click.option("--trace", is_flag=True, help="Print every request and response (redacted) to stderr.")
@click.option("--trace-file", type=click.Path(dir_okay=False), metavar="FILE.har",
              help="Write every request and response (redacted) as a HAR 1.2 file.")
@click.option("--timezone", metavar="TZ", help="IANA timezone for IML date functions (default UTC).")
@click.option("--allow-private-network", is_flag=True,
              help="Allow requests to loopback, private, link-local and metadata addresses.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST_OR_CIDR",
              help="Allow one destination host name or address range. Repeatable.")
@click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE", help=limits_help())
def verify(
    path: str,
    connection: str | None,
    params: tuple[str, ...],
    params_file: str | None,
    common_file: str | None,
    db: str | None,
    save: bool,
    label: str | None,
    as_json: bool,
    reveal: bool,
    trace: bool,
    trace_file: str | None,
    timezone: str | None,
    allow_private_network: bool,
    allow_hosts: tuple[str, ...],
    limits: tuple[str, ...],
) -> None:
    """Verify the connection at PATH against its API and store it.

    PATH is an app folder with makecomapp.json, a connection folder, or one bundle JSON file.
    """
    from .verify import run_verify

    code = run_verify(
        path=path, connection=connection, text_params={**_env_params(), **_parse_param_options(params)},
        params_file=params_file, common_file=common_file, db=db, save=save, label=label,
        as_json=as_json, reveal=reveal, trace=trace, trace_file=trace_file,
        timezone=_timezone(timezone), allow_private_network=allow_private_network,
        allow_hosts=allow_hosts, limits=limits,
    )
    sys.exit(code)


# --- validate ------------------------------------------------------------------------------


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--connection", metavar="NAME", help="Connection name inside an app folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def validate(path: str, connection: str | None, as_json: bool) -> None:
    """Check the connection spec at PATH without running it.

    Exits 1 when there are errors, 0 when there are only warnings or nothing.
    """
    from ..spec import check_path

    try:
        problems = check_path(path, connection=connection)
    except ImlconnectError as error:
        _fail_usage(error, as_json)
    errors = [problem for problem in problems if problem.severity == "error"]
    warnings = [problem for problem in problems if problem.severity == "warning"]
    if as_json:
        print_json({
            "ok": not errors,
            "errors": len(errors),
            "warnings": len(warnings),
            "problems": [problem.to_json() for problem in problems],
        })
    else:
        for problem in problems:
            click.echo(problem.describe())
        verdict = "invalid" if errors else "valid"
        click.echo(f"{path}: {verdict} ({_count(len(errors), 'error')}, {_count(len(warnings), 'warning')})")
    sys.exit(EXIT_FAILED if errors else EXIT_OK)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _fail_usage(error: Exception, as_json: bool) -> None:
    problems = getattr(error, "problems", [])
    if as_json:
        error_type = "InvalidSpec" if isinstance(error, SpecError) else "InvalidUsage"
        print_json(failure_json(error_type, str(error), [p.to_json() for p in problems]))
    elif problems:
        # The message of a SpecError already lists its problems; print only its first line.
        echo_err(f"Error: {str(error).splitlines()[0]}")
        echo_err(describe_problems(problems))
    else:
        echo_err(f"Error: {error}")
    sys.exit(EXIT_USAGE)


# --- eval ----------------------------------------------------------------------------------


@cli.command(name="eval")
@click.argument("template")
@click.option("--context", "context_file", type=click.Path(dir_okay=False),
              help='JSON file with the variables, e.g. {"parameters": {...}, "body": ..., "statusCode": 200}.')
@click.option("--now", metavar="ISO", help="The instant `now` stands for, as ISO 8601 (default: the current time).")
@click.option("--timezone", metavar="TZ", help="IANA timezone for date functions (default UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print the value as JSON.")
def eval_command(template: str, context_file: str | None, now: str | None, timezone: str | None, as_json: bool) -> None:
    """Evaluate one IML TEMPLATE (text with {{...}}) and print the value and its type."""
    from .evaluate import run_eval

    sys.exit(run_eval(template, context_file, now, _timezone(timezone), as_json))


# --- params --------------------------------------------------------------------------------


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--connection", metavar="NAME", help="Connection name inside an app folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the form as JSON.")
def params(path: str, connection: str | None, as_json: bool) -> None:
    """Show the parameters form of the connection at PATH."""
    from ..api import load_connection
    from ..params.form import describe_form, render_form_table

    try:
        spec = load_connection(path, connection=connection)
    except ImlconnectError as error:
        _fail_usage(error, as_json)
    if as_json:
        print_json(describe_form(spec.parameters))
    else:
        click.echo(render_form_table(spec.parameters))


# --- request -------------------------------------------------------------------------------


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path())
@click.option("--connection", "connection_id", required=True, metavar="ID", help="Id of a stored connection.")
@click.option("--db", metavar="URL", help="SQLAlchemy URL of the store.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--allow-private-network", is_flag=True,
              help="Allow requests to loopback, private, link-local and metadata addresses.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST_OR_CIDR",
              help="Allow one destination host name or address range. Repeatable.")
@click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE", help=limits_help())
def request(
    spec_path: str,
    connection_id: str,
    db: str | None,
    as_json: bool,
    allow_private_network: bool,
    allow_hosts: tuple[str, ...],
    limits: tuple[str, ...],
) -> None:
    """Run one module-style request SPEC with a stored connection and print the response body."""
    from .module import run_request

    sys.exit(run_request(spec_path, connection_id, db, as_json, allow_private_network, allow_hosts, limits))


# --- connections ---------------------------------------------------------------------------


@cli.group()
def connections() -> None:
    """List, show and delete stored connections."""


def _record_json(record: Any, *, full: bool) -> dict[str, Any]:
    from ..redact import mask_leaves

    payload: dict[str, Any] = {
        "id": record.id,
        "app": record.app,
        "name": record.name,
        "label": record.label,
        "status": record.status,
        "metadata": record.metadata,
        "uid": record.uid,
        "last_error": record.last_error.to_json() if record.last_error else None,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "verified_at": record.verified_at.isoformat() if record.verified_at else None,
        "version": record.version,
    }
    if full:
        payload["parameters"] = mask_leaves(record.parameters)
        payload["data"] = mask_leaves(record.data)
    return payload


@connections.command(name="list")
@click.option("--db", metavar="URL", help="SQLAlchemy URL of the store.")
@click.option("--json", "as_json", is_flag=True, help="Print the connections as JSON.")
def connections_list(db: str | None, as_json: bool) -> None:
    """List stored connections."""
    try:
        store = _open_store(db)
        records = store.list()
    except StoreError as error:
        echo_err(f"Error: {error}")
        sys.exit(EXIT_FAILED)
    if as_json:
        print_json([_record_json(record, full=False) for record in records])
        return
    if not records:
        click.echo("No stored connections.")
        return
    rows = [("ID", "APP", "CONNECTION", "STATUS", "LABEL", "UPDATED")]
    for record in records:
        updated = record.updated_at.strftime("%Y-%m-%d %H:%M") if record.updated_at else ""
        rows.append((record.id, record.app or "-", record.name, record.status, record.label or "", updated))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@connections.command(name="show")
@click.argument("connection_id", metavar="ID")
@click.option("--db", metavar="URL", help="SQLAlchemy URL of the store.")
@click.option("--json", "as_json", is_flag=True, help="Print the connection as JSON.")
def connections_show(connection_id: str, db: str | None, as_json: bool) -> None:
    """Show one stored connection; parameters and data are masked."""
    try:
        record = _open_store(db).get(connection_id)
    except StoreError as error:
        if as_json:
            kind = "ConnectionNotFound" if isinstance(error, ConnectionNotFoundError) else type(error).__name__
            print_json({"id": connection_id, "error": {"type": kind, "message": str(error)}})
        else:
            echo_err(f"Error: {error}")
        sys.exit(EXIT_FAILED)
    payload = _record_json(record, full=True)
    if as_json:
        print_json(payload)
        return
    for key, value in payload.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        click.echo(f"{key}: {'' if shown is None else shown}")


@connections.command(name="delete")
@click.argument("connection_id", metavar="ID")
@click.option("--db", metavar="URL", help="SQLAlchemy URL of the store.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def connections_delete(connection_id: str, db: str | None, as_json: bool) -> None:
    """Delete one stored connection."""
    try:
        _open_store(db).delete(connection_id)
    except StoreError as error:
        if as_json:
            print_json({"deleted": False, "id": connection_id, "error": str(error)})
        else:
            echo_err(f"Error: {error}")
        sys.exit(EXIT_FAILED)
    if as_json:
        print_json({"deleted": True, "id": connection_id})
    else:
        click.echo(f"Deleted connection {connection_id}.")


# --- keys ----------------------------------------------------------------------------------


@cli.group()
def keys() -> None:
    """Manage the encryption keys of the store."""


@keys.command(name="rotate")
@click.option("--db", metavar="URL", help="SQLAlchemy URL of the store.")
def keys_rotate(db: str | None) -> None:
    """Re-encrypt every stored record under a new key."""
    try:
        count = _open_store(db).rotate_keys()
    except StoreError as error:
        echo_err(f"Error: {error}")
        sys.exit(EXIT_FAILED)
    click.echo(f"Re-encrypted {count} records under a new key.")


# --- demo ----------------------------------------------------------------------------------


@cli.command()
def demo() -> None:
    """Verify a bundled example connection against a local sample API, offline."""
    from .demo import run_demo

    sys.exit(run_demo())


def main() -> None:
    """Entry point of the `imlconnect` console script."""
    try:
        cli(prog_name="imlconnect")
    except UsageError as error:
        echo_err(f"Error: {error}")
        sys.exit(EXIT_USAGE)
    except ParametersError as error:
        echo_err(f"Error: {error}\n{describe_problems(error.problems)}")
        sys.exit(EXIT_USAGE)
    except ImlconnectError as error:
        echo_err(f"Error: {error}")
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":  # pragma: no cover
    main()
