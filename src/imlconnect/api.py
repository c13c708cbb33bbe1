"""The Python API: load a connection, verify it, and keep the result.

```python
import imlconnect

result = imlconnect.verify("path/to/app", {"apiKey": "..."})
if result.ok:
    print(result.metadata, result.uid)
else:
    print(result.error.type, result.error.message)
```

`verify()` and `averify()` share every step but the sending; the command line is a thin layer
over them. Bad input raises (`SpecError`, `ParametersError`, `UsageError`, `StoreError`); a
verification that ran returns a `VerificationResult`, verified or failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import ErrorInfo, ParametersError, Problem, UsageError
from .flow import Outcome, RunInput, run_async, run_sync
from .iml.values import to_json_compatible
from .redact import CREDENTIAL_HEADERS, Redactor, mask_leaves

if TYPE_CHECKING:
    from .spec import ConnectionSpec
    from .store import ConnectionStore, StoredConnection

logger = logging.getLogger("imlconnect")

ParameterSource = Literal["json", "text"]


@dataclass
class VerificationResult:
    """The outcome of one verification, with the fields of `verify --json`.

    `data`, `metadata` and `uid` are what the run collected (for a failed run: what was stored
    before, unchanged). `connection_id` is set when the connection was stored or re-verified.
    """

    ok: bool
    error: ErrorInfo | None
    data: dict[str, Any]
    metadata: dict[str, str] | None
    uid: str | None
    connection_id: str | None = None
    warnings: list[Problem] = field(default_factory=list)
    requests_sent: int = 0
    redactor: Redactor = field(default_factory=Redactor, repr=False)

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        """Return the JSON object of `verify --json`; secrets are masked unless `reveal`."""
        data = to_json_compatible(self.data, for_output=False)
        error = self.error.to_json() if self.error else None
        metadata = dict(self.metadata) if self.metadata else None
        uid = self.uid
        if not reveal:
            data = mask_leaves(data)
            if error is not None:
                error["message"] = self.redactor.text(error["message"])
            if metadata is not None:
                metadata["value"] = self.redactor.text(metadata["value"])
            if uid is not None:
                uid = self.redactor.text(uid)
        return {
            "ok": self.ok,
            "error": error,
            "data": data,
            "metadata": metadata,
            "uid": uid,
            "connection_id": self.connection_id,
        }

    def __repr__(self) -> str:
        shown = self.to_json(reveal=False)
        return f"VerificationResult({shown!r})"


@dataclass
class _Prepared:
    spec: ConnectionSpec
    run: RunInput
    redactor: Redactor
    record: StoredConnection | None
    parameters: dict[str, Any]


def load_connection(
    path: str | Path,
    *,
    connection: str | None = None,
    common_file: str | Path | None = None,
) -> ConnectionSpec:
    """Load and compile a connection spec from an app folder, a connection folder or a bundle."""
    from .spec import load_connection as _load

    return _load(str(path), connection=connection, common_file=None if common_file is None else str(common_file))


def _transport_options(
    allow_private_network: bool,
    allow_hosts: Sequence[str],
    on_request: Callable[..., Any] | None,
    on_response: Callable[..., Any] | None,
    options: Any,
) -> Any:
    from .http.limits import TransportOptions

    if options is not None:
        return options
    return TransportOptions(
        allow_private_network=allow_private_network,
        allow_hosts=tuple(allow_hosts),
        on_request=on_request,
        on_response=on_response,
    )


def _prepare(
    connection: str | Path | ConnectionSpec,
    parameters: Mapping[str, Any] | None,
    *,
    parameter_source: ParameterSource,
    text_parameters: Mapping[str, str] | None,
    common: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    connection_name: str | None,
    store: ConnectionStore | None,
    connection_id: str | None,
    now: datetime | None,
    timezone: str,
) -> _Prepared:
    from .params import validate_values

    record = None
    if connection_id is not None:
        if store is None:
            raise UsageError("Re-verifying a stored connection needs a store.")
        record = store.get(connection_id)
        connection_name = connection_name or record.name

    spec = connection if not isinstance(connection, (str, Path)) else load_connection(
        connection, connection=connection_name
    )

    # Stored values first, then values from a file or a mapping, then values typed as text.
    values: dict[str, Any] = dict(record.parameters) if record is not None else {}
    values.update(parameters or {})
    source: ParameterSource = parameter_source
    if text_parameters:
        values.update(text_parameters)
        source = "text"
    validated, problems = validate_values(spec.parameters, values, source=source)
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        count = len(errors)
        raise ParametersError(
            f"{count} parameter value{'s are' if count != 1 else ' is'} invalid; nothing was sent.", errors
        )

    if common is None:
        common = dict(spec.common or {})
        if not common and store is not None and spec.app:
            common = store.get_common(spec.app)

    stored_data = dict(data) if data is not None else (dict(record.data) if record is not None else {})

    redactor = Redactor()
    redactor.add(spec.parameters.secret_values(validated))
    redactor.add_values(common)
    redactor.add_values(stored_data)

    run = RunInput(
        spec=spec,
        parameters=validated,
        common=common,
        data=stored_data,
        now=now,
        timezone=timezone,
    )
    return _Prepared(spec=spec, run=run, redactor=redactor, record=record, parameters=validated)


def _finish(
    prepared: _Prepared,
    outcome: Outcome,
    *,
    store: ConnectionStore | None,
    save: bool,
    label: str | None,
) -> VerificationResult:
    redactor = prepared.redactor
    redactor.add_values(outcome.data)
    spec = prepared.spec
    record = prepared.record

    error = outcome.error.info() if outcome.error else None
    result = VerificationResult(
        ok=outcome.ok,
        error=error,
        data=outcome.data if outcome.ok else dict(prepared.run.data),
        metadata=outcome.metadata if outcome.ok else (record.metadata if record else None),
        uid=outcome.uid if outcome.ok else (record.uid if record else None),
        connection_id=record.id if record else None,
        warnings=list(getattr(spec, "warnings", []) or []),
        requests_sent=outcome.requests_sent,
        redactor=redactor,
    )

    if save and store is not None:
        if outcome.ok and record is None:
            created = store.create(
                app=spec.app or spec.name,
                name=spec.name,
                label=label or _default_label(spec, outcome),
                parameters=prepared.parameters,
                data=to_json_compatible(outcome.data, for_output=False),
                metadata=outcome.metadata,
                uid=outcome.uid,
            )
            result.connection_id = created.id
        elif outcome.ok and record is not None:
            store.save_verified(
                record.id,
                parameters=prepared.parameters,
                data=to_json_compatible(outcome.data, for_output=False),
                metadata=outcome.metadata,
                uid=outcome.uid,
                expected_version=record.version,
            )
        elif record is not None and error is not None:
            # A failed re-verification records the failure and keeps the last good data.
            kept = ErrorInfo(type=error.type, message=redactor.text(error.message), status=error.status)
            store.record_failure(record.id, kept, expected_version=record.version)
        if spec.app and spec.common and outcome.ok:
            store.set_common(spec.app, dict(spec.common))

    logger.info(
        "verification of %s finished: ok=%s requests=%d connection_id=%s",
        spec.name, outcome.ok, outcome.requests_sent, result.connection_id,
    )
    return result


def _default_label(spec: ConnectionSpec, outcome: Outcome) -> str:
    base = spec.label or spec.name
    if outcome.metadata and outcome.metadata.get("value"):
        return f"{base} ({outcome.metadata['value']})"
    return base


def verify(
    connection: str | Path | ConnectionSpec,
    parameters: Mapping[str, Any] | None = None,
    *,
    parameter_source: ParameterSource = "json",
    text_parameters: Mapping[str, str] | None = None,
    common: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    connection_name: str | None = None,
    store: ConnectionStore | None = None,
    save: bool = False,
    connection_id: str | None = None,
    label: str | None = None,
    now: datetime | None = None,
    timezone: str = "UTC",
    allow_private_network: bool = False,
    allow_hosts: Sequence[str] = (),
    transport_options: Any = None,
    on_request: Callable[..., Any] | None = None,
    on_response: Callable[..., Any] | None = None,
) -> VerificationResult:
    """Verify a connection and return the result; store it when `save` and `store` are given.

    `connection` is a path (app folder, connection folder or bundle file) or a loaded spec.
    `parameters` are the values the user typed, checked strictly; `text_parameters` arrive as
    text (from `--param` or the environment) and are coerced to each field's type first.
    `connection_id` re-verifies a stored connection: its stored parameters and data are the
    starting point, and a failure keeps them.
    """
    from .http.transport import SyncTransport

    prepared = _prepare(
        connection, parameters, parameter_source=parameter_source, text_parameters=text_parameters,
        common=common, data=data, connection_name=connection_name, store=store,
        connection_id=connection_id, now=now, timezone=timezone,
    )
    options = _transport_options(allow_private_network, allow_hosts, on_request, on_response, transport_options)
    with SyncTransport(options) as transport:
        outcome = run_sync(prepared.run, transport)
    return _finish(prepared, outcome, store=store, save=save, label=label)


async def averify(
    connection: str | Path | ConnectionSpec,
    parameters: Mapping[str, Any] | None = None,
    *,
    parameter_source: ParameterSource = "json",
    text_parameters: Mapping[str, str] | None = None,
    common: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    connection_name: str | None = None,
    store: ConnectionStore | None = None,
    save: bool = False,
    connection_id: str | None = None,
    label: str | None = None,
    now: datetime | None = None,
    timezone: str = "UTC",
    allow_private_network: bool = False,
    allow_hosts: Sequence[str] = (),
    transport_options: Any = None,
    on_request: Callable[..., Any] | None = None,
    on_response: Callable[..., Any] | None = None,
) -> VerificationResult:
    """Verify a connection like `verify()`, sending requests with the async transport.

    The store, when given, is used synchronously: its writes are short local transactions.
    """
    from .http.transport import AsyncTransport

    prepared = _prepare(
        connection, parameters, parameter_source=parameter_source, text_parameters=text_parameters,
        common=common, data=data, connection_name=connection_name, store=store,
        connection_id=connection_id, now=now, timezone=timezone,
    )
    options = _transport_options(allow_private_network, allow_hosts, on_request, on_response, transport_options)
    async with AsyncTransport(options) as transport:
        outcome = await run_async(prepared.run, transport)
    return _finish(prepared, outcome, store=store, save=save, label=label)


def credential_header(name: str) -> bool:
    """Return True for header names whose values are always treated as secrets."""
    return name.lower() in CREDENTIAL_HEADERS


@dataclass
class RequestResult:
    """The outcome of a module-style request run with a stored connection."""

    ok: bool
    error: ErrorInfo | None
    body: Any
    requests_sent: int = 0
    redactor: Redactor = field(default_factory=Redactor, repr=False)

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        error = self.error.to_json() if self.error else None
        body = to_json_compatible(self.body, for_output=False)
        if not reveal:
            body = self.redactor.data(body)
            if error is not None:
                error["message"] = self.redactor.text(error["message"])
        return {"ok": self.ok, "error": error, "body": body}


def run_module_request(
    spec: str | Path | Sequence[Any],
    connection_id: str,
    *,
    store: ConnectionStore,
    now: datetime | None = None,
    timezone: str = "UTC",
    allow_private_network: bool = False,
    allow_hosts: Sequence[str] = (),
    transport_options: Any = None,
) -> RequestResult:
    """Run a module-style request spec with a stored connection visible as `connection`.

    `connection` is the stored connection's parameters merged with its data, data winning on a
    clash. `common` is not visible, as in Make's modules.
    """
    from .http.transport import SyncTransport
    from .spec import load_request_spec

    record = store.get(connection_id)
    requests = load_request_spec(str(spec)) if isinstance(spec, (str, Path)) else list(spec)
    from .flow.merge import deep_merge

    connection_values = deep_merge(dict(record.parameters), dict(record.data))

    class _ModuleSpec:
        def __init__(self) -> None:
            self.requests = requests
            self.base_url = None

    redactor = Redactor()
    redactor.add_values(record.data)
    redactor.add_values(record.parameters)
    run = RunInput(
        spec=_ModuleSpec(), parameters={}, now=now, timezone=timezone, mode="module",
        connection=connection_values,
    )
    options = _transport_options(allow_private_network, allow_hosts, None, None, transport_options)
    with SyncTransport(options) as transport:
        outcome = run_sync(run, transport)
    return RequestResult(
        ok=outcome.ok,
        error=outcome.error.info() if outcome.error else None,
        body=outcome.body,
        requests_sent=outcome.requests_sent,
        redactor=redactor,
    )
