"""`imlconnect request`: run a module-style request with a stored connection."""

from __future__ import annotations

import json

import click

from ..errors import ImlconnectError, SpecError, StoreError
from .output import describe_problems, echo_err, print_json

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run_request(
    spec_path: str,
    connection_id: str,
    db: str | None,
    as_json: bool,
    allow_private_network: bool,
    allow_hosts: tuple[str, ...],
) -> int:
    """Run the request spec and print the parsed response body; return the exit code."""
    from ..api import run_module_request
    from ..store import ConnectionStore

    try:
        store = ConnectionStore.open(db)
    except StoreError as error:
        echo_err(f"Error: {error}")
        return EXIT_FAILED
    try:
        result = run_module_request(
            spec_path, connection_id, store=store,
            allow_private_network=allow_private_network, allow_hosts=allow_hosts,
        )
    except SpecError as error:
        echo_err(f"Error: {error}\n{describe_problems(error.problems)}")
        return EXIT_USAGE
    except ImlconnectError as error:
        echo_err(f"Error: {error}")
        return EXIT_FAILED
    finally:
        store.close()

    if as_json:
        print_json(result.to_json())
    elif result.ok:
        body = result.to_json()["body"]
        click.echo(body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False))
    else:
        error = result.to_json()["error"]
        echo_err(f"Request failed: {error['type']}: {error['message']}")
    return EXIT_OK if result.ok else EXIT_FAILED
