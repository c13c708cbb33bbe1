"""`imlconnect request`: run a module-style request with a stored connection."""

from __future__ import annotations

import json

import click

from ..errors import ConnectionNotFoundError, ImlconnectError, SpecError, StoreError, UsageError
from .output import describe_problems, echo_err, print_json

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run_request(
    spec_path: str,
    connection_id: str,
    db: str | None,
    as_json: bool,
    allow_private_network: bool,
    allow_hosts: tuple[str, ...],
    limits: tuple[str, ...] = (),
) -> int:
    """Run the request spec and print the parsed response body; return the exit code.

    `limits` are `--limit NAME=VALUE` texts; an unknown name or a bad value exits with code 2.
    """
    from ..api import run_module_request
    from ..limits import RunLimits
    from ..store import ConnectionStore

    def fail(error: ImlconnectError, error_type: str, code: int) -> int:
        problems = [p.to_json() for p in getattr(error, "problems", [])]
        if as_json:
            print_json({"ok": False, "error": {"type": error_type, "message": str(error).splitlines()[0],
                                               "status": None, "problems": problems}, "body": None})
        elif problems:
            # The message of a SpecError already lists its problems; print only its first line.
            echo_err(f"Error: {str(error).splitlines()[0]}\n{describe_problems(error.problems)}")  # type: ignore[attr-defined]
        else:
            echo_err(f"Error: {error}")
        return code

    try:
        run_limits = RunLimits.from_options(limits) if limits else None
    except UsageError as error:
        return fail(error, "InvalidUsage", EXIT_USAGE)
    try:
        store = ConnectionStore.open(db)
    except StoreError as error:
        return fail(error, "StoreError", EXIT_FAILED)
    try:
        result = run_module_request(
            spec_path, connection_id, store=store,
            allow_private_network=allow_private_network, allow_hosts=allow_hosts, limits=run_limits,
        )
    except SpecError as error:
        return fail(error, "InvalidSpec", EXIT_USAGE)
    except UsageError as error:
        return fail(error, "InvalidUsage", EXIT_USAGE)
    except ConnectionNotFoundError as error:
        return fail(error, "ConnectionNotFound", EXIT_FAILED)
    except ImlconnectError as error:
        return fail(error, type(error).__name__, EXIT_FAILED)
    finally:
        if "store" in locals():
            store.close()

    if as_json:
        print_json(result.to_json())
    elif result.ok:
        body = result.to_json()["body"]
        click.echo(body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False))
    else:
        failure = result.to_json()["error"]
        echo_err(f"Request failed: {failure['type']}: {failure['message']}")
    return EXIT_OK if result.ok else EXIT_FAILED
