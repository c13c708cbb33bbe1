"""`imlconnect verify`: load, validate parameters, run, print and store."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import (
    ConnectionNotFoundError,
    ImlconnectError,
    ParametersError,
    SpecError,
    StoreError,
    UsageError,
)
from .output import describe_problems, echo_err, failure_json, print_json, style

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _report_bad_input(error: ImlconnectError, as_json: bool) -> int:
    """Print a bad spec, bad parameters or bad usage error; return exit code 2."""
    if isinstance(error, SpecError):
        error_type = "InvalidSpec"
        problems = [problem.to_json() for problem in error.problems if problem.severity == "error"]
    elif isinstance(error, ParametersError):
        error_type = "InvalidParameters"
        problems = [{"path": problem.path, "message": problem.message} for problem in error.problems]
    else:
        error_type = "InvalidUsage"
        problems = []
    if as_json:
        print_json(failure_json(error_type, str(error), problems))
    else:
        echo_err(f"Error: {error}")
        found = getattr(error, "problems", [])
        if found:
            echo_err(describe_problems(found))
    return EXIT_USAGE


def _read_values(path: str | None, what: str) -> dict[str, Any] | None:
    from .main import _read_json_file

    if path is None:
        return None
    values = _read_json_file(path, what)
    if not isinstance(values, dict):
        raise UsageError(f"The {what} file {path} must hold a JSON object.")
    return values


def _find_record(store: Any, connection: str | None) -> Any:
    """Return the stored connection whose id is `connection`, or None when it is a name."""
    if connection is None or store is None:
        return None
    try:
        return store.get(connection)
    except ConnectionNotFoundError:
        return None


def _prompt_if_terminal(spec: Any, values: dict[str, Any], text_values: dict[str, str], as_json: bool) -> dict[str, str]:
    """Ask for missing required parameters when stdin is a terminal; return the typed text values."""
    if as_json or not sys.stdin.isatty():
        return text_values
    from ..params.prompt import prompt_missing

    merged = {**values, **text_values}
    if not spec.parameters.missing_required(merged):
        return text_values
    answers = prompt_missing(spec.parameters, merged)
    return {**text_values, **{k: v for k, v in answers.items() if k not in merged}}


def run_verify(
    *,
    path: str,
    connection: str | None,
    text_params: dict[str, str],
    params_file: str | None,
    common_file: str | None,
    db: str | None,
    save: bool,
    label: str | None,
    as_json: bool,
    reveal: bool,
    trace: bool,
    trace_file: str | None,
    timezone: str,
    allow_private_network: bool,
    allow_hosts: tuple[str, ...],
    limits: tuple[str, ...] = (),
) -> int:
    """Run `verify` and return its exit code.

    `limits` are `--limit NAME=VALUE` texts; an unknown name or a bad value exits with code 2.
    The trace is written after the run, redacted with every secret the run learned.
    """
    from ..api import load_connection, verify
    from ..limits import RunLimits
    from ..trace import TraceRecorder

    store = None
    recorder = TraceRecorder(stream=sys.stderr if trace else None, har_path=trace_file) if (trace or trace_file) else None
    try:
        run_limits = RunLimits.from_options(limits) if limits else None
        file_values = _read_values(params_file, "parameters") or {}
        common = _read_values(common_file, "common data")

        if save or connection is not None:
            from ..store import ConnectionStore

            store = ConnectionStore.open(db)
        record = _find_record(store, connection)
        name = None if record is not None else connection

        try:
            spec = load_connection(path, connection=record.name if record is not None else name,
                                   common_file=common_file)
        except UsageError as error:
            if record is None:
                raise
            # PATH has no connection with the stored record's name: it is another app's spec.
            raise UsageError(
                f"The stored connection {record.id} belongs to {record.app}/{record.name}, and {path} "
                "does not hold that connection. Re-verify it with its own app's spec."
            ) from error
        text_values = _prompt_if_terminal(spec, {**(record.parameters if record else {}), **file_values},
                                          text_params, as_json)

        result = verify(
            spec,
            file_values,
            text_parameters=text_values or None,
            common=common,
            store=store,
            save=save,
            connection_id=record.id if record is not None else None,
            label=label,
            timezone=timezone,
            allow_private_network=allow_private_network,
            allow_hosts=allow_hosts,
            on_request=recorder.on_request if recorder else None,
            on_response=recorder.on_response if recorder else None,
            on_error=recorder.on_error if recorder else None,
            limits=run_limits,
        )
    except (SpecError, ParametersError, UsageError) as error:
        return _report_bad_input(error, as_json)
    except StoreError as error:
        if as_json:
            print_json(failure_json("StoreError", str(error), []))
        else:
            echo_err(f"Error: {error}")
        return EXIT_FAILED
    finally:
        if store is not None:
            store.close()

    if recorder is not None:
        recorder.finish(result.redactor, spec)

    if as_json:
        print_json(result.to_json(reveal=reveal))
    else:
        _print_human(result, reveal)
    return EXIT_OK if result.ok else EXIT_FAILED


def _print_human(result: Any, reveal: bool) -> None:
    shown = result.to_json(reveal=reveal)
    for warning in result.warnings:
        echo_err(f"Warning: {warning.describe()}")
    if result.ok:
        click.echo(style("Verified.", fg="green", bold=True))
    else:
        error = shown["error"]
        status = f" (HTTP {error['status']})" if error.get("status") is not None else ""
        click.echo(style(f"Verification failed: {error['type']}{status}", fg="red", bold=True))
        click.echo(f"  {error['message']}")
    if shown["metadata"]:
        click.echo(f"  metadata: {shown['metadata']['value']} ({shown['metadata']['type']})")
    if shown["uid"] is not None:
        click.echo(f"  uid: {shown['uid']}")
    if shown["data"]:
        import json

        click.echo(f"  data: {json.dumps(shown['data'], ensure_ascii=False)}")
    if shown["connection_id"]:
        if result.ok:
            click.echo(f"  stored as connection {shown['connection_id']}")
        else:
            click.echo(f"  connection {shown['connection_id']} keeps its last good parameters and data")
