"""`imlconnect demo`: a tour of verification against a sample API on 127.0.0.1, fully offline."""

from __future__ import annotations

import json

import click

from .output import style

EXIT_OK, EXIT_FAILED = 0, 1


def _show(title: str, result: object) -> None:
    payload = result.to_json(reveal=False)  # type: ignore[attr-defined]
    click.echo(style(title, bold=True))
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    click.echo()


def run_demo() -> int:
    """Start the sample API, verify with a good and a wrong key, store, list, stop."""
    from ..api import load_connection, verify
    from ..demo import DEMO_CONNECTION
    from ..demo.server import GOOD_KEY, SampleApi
    from ..store import ConnectionStore

    spec = load_connection(DEMO_CONNECTION)
    with SampleApi() as api:
        # Only the sample API's own address is allowed; every other private address stays refused.
        allow = ("127.0.0.1",)
        click.echo(f"Sample API listening on {api.url}\n")

        store = ConnectionStore.open(None)
        try:
            good = verify(
                spec, {"apiKey": GOOD_KEY, "apiUrl": api.url},
                store=store, save=True, label="Acme Notes demo", allow_hosts=allow,
            )
            _show("1. Verify with a good API key (secrets are masked; `verify --reveal` shows them):", good)

            wrong = verify(spec, {"apiKey": "not-the-key", "apiUrl": api.url}, allow_hosts=allow)
            _show("2. Verify with a wrong API key (typed error, nothing stored):", wrong)

            click.echo(style("3. Stored connections (`imlconnect connections list`):", bold=True))
            for record in store.list():
                marker = "  <- stored just now" if record.id == good.connection_id else ""
                click.echo(f"  {record.id}  {record.app}/{record.name}  {record.status}  {record.label}{marker}")
            click.echo(f"\nStore: {store.url}")
        finally:
            store.close()

    click.echo("Sample API stopped.")
    return EXIT_OK if good.ok and not wrong.ok else EXIT_FAILED
