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

Every run is safe by default. It is bounded by a `RunLimits` (`limits=`), and it has one
`Redactor` that learns the run's secrets as they appear: secret parameters, `common`, stored and
new `data`, credential headers and `log.sanitize` values seen on the wire. The redactor masks
log records for the duration of the run, the error message of the result, the message of
exceptions that leave these functions, and the last error kept in the store.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import ErrorInfo, ParametersError, Problem, SpecError, TransportError, UsageError
from .flow import Outcome, RunInput, run_async, run_sync
from .iml.values import to_json_compatible
from .limits import DEFAULT_RUN_LIMITS, RunLimits, template_limit_problems
from .logs import redacting
from .redact import Redactor, WireSecretCollector, mask_leaves, redact_exception

if TYPE_CHECKING:
    from .spec import ConnectionSpec
    from .store import ConnectionStore, StoredConnection

logger = logging.getLogger("imlconnect")

ParameterSource = Literal["json", "text"]

#: Called once per hop before it is sent, with the hop's `WireRequest`.
RequestHook = Callable[[Any], None]
#: Called once per hop after its response was read, with the hop's request and `WireResponse`.
ResponseHook = Callable[[Any, Any], None]
#: Called when a request fails in the transport, with the request and the `TransportError`.
ErrorHook = Callable[[Any, TransportError], None]


def _redacted_info(info: ErrorInfo | None, redactor: Redactor) -> ErrorInfo | None:
    if info is None:
        return None
    return dataclasses.replace(info, message=redactor.text(info.message))


@dataclass
class VerificationResult:
    """The outcome of one verification, with the fields of `verify --json`.

    `data`, `metadata` and `uid` are what the run collected (for a failed run: what was stored
    before, unchanged). `connection_id` is set when the connection was stored or re-verified.
    `error.message` is redacted; `raw_error` keeps the message as the run produced it, and only
    `to_json(reveal=True)` shows it.
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
    raw_error: ErrorInfo | None = field(default=None, repr=False, compare=False)

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        """Return the JSON object of `verify --json`; secrets are masked unless `reveal`."""
        data = to_json_compatible(self.data, for_output=False)
        shown_error = (self.raw_error or self.error) if reveal else self.error
        error = shown_error.to_json() if shown_error else None
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


def _chain(*hooks: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Return one hook that calls every given hook in order, or None when there is none."""
    present = [hook for hook in hooks if hook is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]

    def call_all(*args: Any) -> None:
        for hook in present:
            hook(*args)

    return call_all


def _transport_options(
    allow_private_network: bool,
    allow_hosts: Sequence[str],
    on_request: RequestHook | None,
    on_response: ResponseHook | None,
    options: Any,
    *,
    limits: RunLimits | None = None,
    collector: WireSecretCollector | None = None,
) -> Any:
    """Build the transport options of one run.

    Caller-given `options` are kept, except that explicit `limits` override their limit fields.
    The secret collector's hooks always run first, so secrets are learned before a trace hook
    sees the exchange.
    """
    from .http.limits import TransportOptions

    if options is None:
        options = (limits or DEFAULT_RUN_LIMITS).transport_options(
            allow_private_network=allow_private_network, allow_hosts=tuple(allow_hosts)
        )
    elif limits is not None:
        options = limits.transport_options(options)
    assert isinstance(options, TransportOptions)
    return dataclasses.replace(
        options,
        on_request=_chain(collector.on_request if collector else None, options.on_request, on_request),
        on_response=_chain(collector.on_response if collector else None, options.on_response, on_response),
    )


class _ObservedTransport:
    """A sync transport wrapper that reports transport failures to a hook, then re-raises them."""

    def __init__(self, transport: Any, on_error: ErrorHook | None) -> None:
        self._transport = transport
        self._on_error = on_error

    def send(self, request: Any) -> Any:
        try:
            return self._transport.send(request)
        except TransportError as error:
            if self._on_error is not None:
                self._on_error(request, error)
            raise


class _AsyncObservedTransport:
    """The async counterpart of `_ObservedTransport`."""

    def __init__(self, transport: Any, on_error: ErrorHook | None) -> None:
        self._transport = transport
        self._on_error = on_error

    async def send(self, request: Any) -> Any:
        try:
            return await self._transport.send(request)
        except TransportError as error:
            if self._on_error is not None:
                self._on_error(request, error)
            raise


@contextmanager
def _run_scope(redactor: Redactor) -> Iterator[None]:
    """Redact log records during the run, and the message of any exception that leaves it."""
    with redacting(redactor):
        try:
            yield
        except Exception as error:
            redact_exception(error, redactor)
            raise


def _check_limits(spec: Any, limits: RunLimits) -> None:
    problems = template_limit_problems(spec, limits.iml_limits())
    if problems:
        count = len(problems)
        raise SpecError(
            f"{count} template{'s exceed' if count != 1 else ' exceeds'} the IML limits of this run.", problems
        )


def _prepare(
    connection: str | Path | ConnectionSpec,
    parameters: Mapping[str, Any] | None,
    *,
    redactor: Redactor,
    limits: RunLimits,
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
    _check_limits(spec, limits)
    if record is not None and (record.app, record.name) != (spec.app or spec.name, spec.name):
        # Sending a stored key to another app's API would leak it, so a mismatch stops here.
        raise UsageError(
            f"The stored connection {record.id} belongs to {record.app}/{record.name}, but the spec "
            f"at hand is {spec.app or spec.name}/{spec.name}. Re-verify it with its own app's spec."
        )

    # Stored values first, then values from a file or a mapping, then values typed as text.
    values: dict[str, Any] = dict(record.parameters) if record is not None else {}
    values.update(parameters or {})
    source: ParameterSource = parameter_source
    if text_parameters:
        values.update(text_parameters)
        source = "text"
    if common is None:
        common = dict(spec.common or {})
        if not common and store is not None and spec.app:
            common = store.get_common(spec.app)

    if data is not None:
        stored_data = dict(data)
    elif record is not None:
        stored_data = dict(record.data)
    else:
        stored_data = {}

    # Secrets are learned before validation, so a problem that quotes one of them is masked.
    redactor.add(spec.parameters.secret_values(values))
    redactor.add_values(common)
    redactor.add_values(stored_data)

    validated, problems = validate_values(spec.parameters, values, source=source)
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        count = len(errors)
        raise ParametersError(
            f"{count} parameter value{'s are' if count != 1 else ' is'} invalid; nothing was sent.", errors
        )

    redactor.add(spec.parameters.secret_values(validated))

    run = RunInput(
        spec=spec,
        parameters=validated,
        common=common,
        data=stored_data,
        now=now,
        timezone=timezone,
        limits=limits.iml_limits(),
        max_requests=limits.max_requests,
        max_response_depth=limits.max_response_depth,
        max_request_timeout_s=float(limits.max_request_timeout_s),
        on_data=redactor.add_values,
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

    raw_error = outcome.error.info() if outcome.error else None
    error = _redacted_info(raw_error, redactor)
    # A failed run reports what was stored before, unchanged.
    if outcome.ok:
        data, metadata, uid = outcome.data, outcome.metadata, outcome.uid
    elif record is not None:
        data, metadata, uid = dict(prepared.run.data), record.metadata, record.uid
    else:
        data, metadata, uid = dict(prepared.run.data), None, None
    result = VerificationResult(
        ok=outcome.ok,
        error=error,
        data=data,
        metadata=metadata,
        uid=uid,
        connection_id=record.id if record else None,
        warnings=list(getattr(spec, "warnings", []) or []),
        requests_sent=outcome.requests_sent,
        redactor=redactor,
        raw_error=raw_error,
    )

    if save and store is not None:
        if outcome.ok and record is None:
            created = store.create(
                app=spec.app or spec.name,
                name=spec.name,
                label=label or redactor.text(_default_label(spec, outcome)),
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
            # A failed re-verification records the failure, with the redacted message, and
            # keeps the last good data.
            store.record_failure(record.id, error, expected_version=record.version)
        if spec.app and spec.common and outcome.ok:
            store.set_common(spec.app, dict(spec.common))

    if error is not None:
        logger.info("verification of %s failed with %s: %s", spec.name, error.type, error.message)
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


def _prepare_run(
    connection: str | Path | ConnectionSpec,
    parameters: Mapping[str, Any] | None,
    *,
    redactor: Redactor,
    limits: RunLimits | None,
    allow_private_network: bool,
    allow_hosts: Sequence[str],
    on_request: RequestHook | None,
    on_response: ResponseHook | None,
    transport_options: Any,
    **prepare: Any,
) -> tuple[_Prepared, Any]:
    """Prepare a verification and the transport options that `verify` and `averify` share."""
    prepared = _prepare(connection, parameters, redactor=redactor, limits=limits or DEFAULT_RUN_LIMITS, **prepare)
    collector = WireSecretCollector(redactor, prepared.spec.requests)
    options = _transport_options(
        allow_private_network, allow_hosts, on_request, on_response, transport_options,
        limits=limits, collector=collector,
    )
    return prepared, options


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
    on_request: RequestHook | None = None,
    on_response: ResponseHook | None = None,
    on_error: ErrorHook | None = None,
    limits: RunLimits | None = None,
) -> VerificationResult:
    """Verify a connection and return the result; store it when `save` and `store` are given.

    `connection` is a path (app folder, connection folder or bundle file) or a loaded spec.
    `parameters` are the values the user typed, checked strictly. `text_parameters` arrive as
    text (from `--param` or the environment), so they are coerced to each field's type first.
    `connection_id` re-verifies a stored connection: its stored parameters and data are the
    starting point, and a failure keeps them. `limits` bounds the run (default `RunLimits()`);
    when `transport_options` is given too, the limits replace its limit fields. The hooks see
    every hop (`on_request`, `on_response`) and every transport failure (`on_error`), with raw,
    unredacted values: redact what they keep with `result.redactor`.
    Exceptions that leave this function have their secrets masked.
    """
    from .http.transport import SyncTransport

    redactor = Redactor()
    with _run_scope(redactor):
        prepared, options = _prepare_run(
            connection, parameters, redactor=redactor, limits=limits, parameter_source=parameter_source,
            text_parameters=text_parameters, common=common, data=data, connection_name=connection_name,
            store=store, connection_id=connection_id, now=now, timezone=timezone,
            allow_private_network=allow_private_network, allow_hosts=allow_hosts, on_request=on_request,
            on_response=on_response, transport_options=transport_options,
        )
        with SyncTransport(options) as transport:
            outcome = run_sync(prepared.run, _ObservedTransport(transport, on_error))
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
    on_request: RequestHook | None = None,
    on_response: ResponseHook | None = None,
    on_error: ErrorHook | None = None,
    limits: RunLimits | None = None,
) -> VerificationResult:
    """Verify a connection like `verify()`, sending requests with the async transport.

    The store, when given, is used synchronously: its writes are short local transactions.
    NOTE: log redaction is process-wide while any run is active, so concurrent runs in one
    event loop mask each other's secrets too, which is safe.
    """
    from .http.transport import AsyncTransport

    redactor = Redactor()
    with _run_scope(redactor):
        prepared, options = _prepare_run(
            connection, parameters, redactor=redactor, limits=limits, parameter_source=parameter_source,
            text_parameters=text_parameters, common=common, data=data, connection_name=connection_name,
            store=store, connection_id=connection_id, now=now, timezone=timezone,
            allow_private_network=allow_private_network, allow_hosts=allow_hosts, on_request=on_request,
            on_response=on_response, transport_options=transport_options,
        )
        async with AsyncTransport(options) as transport:
            outcome = await run_async(prepared.run, _AsyncObservedTransport(transport, on_error))
        return _finish(prepared, outcome, store=store, save=save, label=label)


@dataclass
class RequestResult:
    """The outcome of a module-style request run with a stored connection.

    `error.message` is redacted; `raw_error` keeps the original, shown by `to_json(reveal=True)`.
    """

    ok: bool
    error: ErrorInfo | None
    body: Any
    requests_sent: int = 0
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    raw_error: ErrorInfo | None = field(default=None, repr=False, compare=False)

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        """Return `{"ok", "error", "body"}`; secrets in the body and the error are masked unless `reveal`."""
        shown_error = (self.raw_error or self.error) if reveal else self.error
        error = shown_error.to_json() if shown_error else None
        body = to_json_compatible(self.body, for_output=False)
        if not reveal:
            body = self.redactor.data(body)
            if error is not None:
                error["message"] = self.redactor.text(error["message"])
        return {"ok": self.ok, "error": error, "body": body}

    def __repr__(self) -> str:
        return f"RequestResult({self.to_json(reveal=False)!r})"


@dataclass
class _RequestList:
    """Requests given as a list to `run_module_request`: no app base applies to them."""

    requests: list[Any]
    base_url: Any = None


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
    on_request: RequestHook | None = None,
    on_response: ResponseHook | None = None,
    on_error: ErrorHook | None = None,
    limits: RunLimits | None = None,
) -> RequestResult:
    """Run a module-style request spec with a stored connection visible as `connection`.

    `connection` is the stored connection's parameters merged with its data, data winning on a
    clash. `common` is not visible, as in Make's modules. Every stored parameter and data value
    is treated as a secret, because the module spec does not say which parameters are secret.
    `limits` and the hooks work as in `verify()`.
    """
    from .flow.merge import deep_merge
    from .http.transport import SyncTransport
    from .spec import load_request_spec

    redactor = Redactor()
    run_limits = limits or DEFAULT_RUN_LIMITS
    with _run_scope(redactor):
        record = store.get(connection_id)
        redactor.add_values(record.data)
        redactor.add_values(record.parameters)
        module_spec: Any
        if isinstance(spec, (str, Path)):
            module_spec = load_request_spec(str(spec))
        else:
            module_spec = _RequestList(list(spec))
        requests = list(module_spec.requests)
        connection_values = deep_merge(dict(record.parameters), dict(record.data))
        _check_limits(module_spec, run_limits)
        run = RunInput(
            spec=module_spec, parameters={}, now=now, timezone=timezone, mode="module",
            connection=connection_values,
            limits=run_limits.iml_limits(),
            max_requests=run_limits.max_requests,
            max_response_depth=run_limits.max_response_depth,
            max_request_timeout_s=float(run_limits.max_request_timeout_s),
        )
        collector = WireSecretCollector(redactor, requests)
        options = _transport_options(
            allow_private_network, allow_hosts, on_request, on_response, transport_options,
            limits=limits, collector=collector,
        )
        with SyncTransport(options) as transport:
            outcome = run_sync(run, _ObservedTransport(transport, on_error))
        raw_error = outcome.error.info() if outcome.error else None
        return RequestResult(
            ok=outcome.ok,
            error=_redacted_info(raw_error, redactor),
            body=outcome.body,
            requests_sent=outcome.requests_sent,
            redactor=redactor,
            raw_error=raw_error,
        )
