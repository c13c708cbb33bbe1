"""The verification flow as a sans-I/O state machine.

`verification_flow()` is a generator: it yields each `WireRequest` to send and receives the
`WireResponse` (or the `TransportError`) back through `send()`. When the run ends, the generator
returns an `Outcome`. It performs no I/O, so the sync and async drivers share it, and unit tests
can feed it responses directly.

Per request the order is: `temp`, `condition`, build the request, send it, parse the body,
`response.temp`, validity and errors, then `data`, `metadata` and `uid`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any

from ..errors import ERROR_TYPES, TransportError, VerificationError
from ..http import ResponseParseError, WireRequest, WireResponse, build_request, parse_response
from ..http.build import RequestBuildError
from ..http.parse import response_headers
from ..http.xml import DEFAULT_MAX_DEPTH
from ..iml import Context
from ..iml.errors import IMLError
from ..iml.values import UNDEFINED, is_nullish, to_string, truthy
from .merge import deep_merge

logger = logging.getLogger("imlconnect.flow")

INVALID_MESSAGE = "Response marked as invalid."


@dataclass
class RunInput:
    """Everything one verification run reads: the spec and the values it runs with."""

    spec: Any  # imlconnect.spec.ConnectionSpec
    parameters: Mapping[str, Any]
    common: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    now: datetime | None = None
    timezone: str = "UTC"
    limits: Any = None  # imlconnect.iml.Limits
    max_requests: int = 50
    #: Nesting bound of JSON and XML response bodies, passed to `parse_response`.
    max_response_depth: int = DEFAULT_MAX_DEPTH
    #: Cap in seconds on each request's total time; None keeps the spec's `timeout` as it is.
    max_request_timeout_s: float | None = None
    #: Called with each value that `response.data` adds, before it is merged, so the caller's
    #: redactor learns new secrets while the run goes on.
    on_data: Callable[[Any], None] | None = None
    #: "connection" runs a connection's own spec; "module" runs a module-style request with a
    #: stored connection visible as `connection` and no `common`.
    mode: str = "connection"
    connection: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """The result of a run: verified or failed with a typed error, plus what it collected."""

    ok: bool
    error: VerificationError | None
    data: dict[str, Any]
    metadata: dict[str, str] | None
    uid: str | None
    temp: dict[str, Any]
    requests_sent: int
    skipped: int
    body: Any = UNDEFINED


class FlowError(Exception):
    """Internal signal that ends a run with a typed error."""

    def __init__(self, error: VerificationError) -> None:
        super().__init__(error.message)
        self.error = error


def status_reason(status: int, reason: str = "") -> str:
    """Return the standard reason phrase of a status, so messages do not depend on the server."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return reason or "Error"


def _render(template: Any, context: Context, where: str) -> Any:
    """Render a compiled template or value; IML failures end the run as a RuntimeError."""
    try:
        return template.render(context)
    except IMLError as error:
        raise FlowError(VerificationError("RuntimeError", f"Evaluation of {where} failed: {error}")) from error


def _error_type(candidate: Any) -> str | None:
    """Normalise an error type from the spec; types outside the nine are raised as RuntimeError."""
    if candidate is None or candidate is UNDEFINED or candidate == "":
        return None
    text = to_string(candidate)
    return text if text in ERROR_TYPES else "RuntimeError"


class _State:
    """Mutable state of one run: temp and data accumulate across requests."""

    def __init__(self, run: RunInput) -> None:
        self.run = run
        self.temp: dict[str, Any] = {}
        self.data: dict[str, Any] = deep_merge({}, dict(run.data))
        self.metadata: dict[str, str] | None = None
        self.uid: str | None = None
        self.sent = 0
        self.skipped = 0
        self.body: Any = UNDEFINED
        self.base = Context(
            variables={},
            now=run.now,
            timezone=run.timezone,
            **({"limits": run.limits} if run.limits is not None else {}),
        )

    def context(self) -> Context:
        """Build the variables of a request; `connection` is the parameters merged with the data."""
        if self.run.mode == "module":
            # Modules see the stored connection, never the app's common data.
            return self.base.with_variables(
                connection=dict(self.run.connection),
                parameters=dict(self.run.parameters),
                data={},
                temp=self.temp,
                environment={"timezone": self.run.timezone},
            )
        parameters = dict(self.run.parameters)
        connection = deep_merge(parameters, self.data)
        return self.base.with_variables(
            parameters=parameters,
            common=dict(self.run.common),
            data=self.data,
            temp=self.temp,
            connection=connection,
            environment={"timezone": self.run.timezone},
        )


def verification_flow(run: RunInput) -> Generator[WireRequest, WireResponse | TransportError, Outcome]:
    """Run a connection's requests; yields wire requests and receives responses."""
    state = _State(run)
    try:
        for request in run.spec.requests:
            yield from _run_request(state, request)
    except FlowError as failure:
        return _outcome(state, failure.error)
    return _outcome(state, None)


def _outcome(state: _State, error: VerificationError | None) -> Outcome:
    return Outcome(
        ok=error is None,
        error=error,
        data=state.data,
        metadata=state.metadata,
        uid=state.uid,
        temp=state.temp,
        requests_sent=state.sent,
        skipped=state.skipped,
        body=state.body,
    )


def _run_request(state: _State, request: Any) -> Generator[WireRequest, WireResponse | TransportError, None]:
    where = request.json_path

    # temp: every value is evaluated before any of them is stored, then deep-merged.
    if request.temp is not None:
        values = _render(request.temp, state.context(), f"{where}.temp")
        if isinstance(values, dict):
            state.temp = deep_merge(state.temp, values)

    context = state.context()
    if not _condition_holds(request.condition, context, where):
        state.skipped += 1
        logger.debug("request %s skipped by its condition", where)
        return

    if state.sent >= state.run.max_requests:
        raise FlowError(
            VerificationError("RuntimeError", f"The run exceeded the limit of {state.run.max_requests} requests per verification.")
        )

    wire = _build(state, request, context, where)
    state.sent += 1
    reply = yield wire

    if isinstance(reply, TransportError):
        raise FlowError(VerificationError("ConnectionError", reply.message))

    _handle_response(state, request, context, reply, where)


def _condition_holds(condition: Any, context: Context, where: str) -> bool:
    if condition is None:
        return True
    if isinstance(condition, bool):
        return condition
    if isinstance(condition, tuple):
        # `{condition, default}`: `default` is the output of a skipped request. Connections
        # have no output, so only the condition matters here.
        condition = condition[0]
    return truthy(_render(condition, context, f"{where}.condition"))


def _build(state: _State, request: Any, context: Context, where: str) -> WireRequest:
    def value(compiled: Any, name: str) -> Any:
        return UNDEFINED if compiled is None else _render(compiled, context, f"{where}.{name}")

    base_url = None
    if state.run.spec.base_url is not None:
        base_url = to_string(_render(state.run.spec.base_url, context, "base.baseUrl")) or None

    try:
        wire = build_request(
            url=value(request.url, "url"),
            method=None if request.method is None else value(request.method, "method"),
            headers=None if request.headers is None else value(request.headers, "headers"),
            qs=None if request.qs is None else value(request.qs, "qs"),
            qs_present=request.qs is not None,
            body=None if request.body is None else value(request.body, "body"),
            body_type=request.type,
            encode_url=request.encode_url,
            base_url=base_url,
            ca=None if request.ca is None else (to_string(value(request.ca, "ca")) or None),
            follow_redirects=request.follow_redirects,
            follow_all_redirects=request.follow_all_redirects,
            gzip=request.gzip,
            timeout_ms=request.timeout_ms,
            request_id=f"{where}#{state.sent + 1}",
        )
    except RequestBuildError as error:
        raise FlowError(VerificationError("RuntimeError", f"Cannot build {where}: {error}")) from error
    cap = state.run.max_request_timeout_s
    if cap is not None and wire.timeout_s > cap:
        wire = wire.replace(timeout_s=cap)
    return wire


def _handle_response(state: _State, request: Any, context: Context, reply: WireResponse, where: str) -> None:
    response_spec = request.response
    status = reply.status

    try:
        parsed = parse_response(
            reply,
            response_spec.type if response_spec is not None else None,
            max_depth=state.run.max_response_depth,
        )
        body = parsed.body
        headers = parsed.headers
    except ResponseParseError as error:
        if status < 400:
            raise FlowError(
                VerificationError("RuntimeError", f"The response body could not be parsed: {error}", status)
            ) from error
        # At 400 and above the raw text becomes `body` and error handling goes on.
        body = reply.body.decode("utf-8", errors="replace")
        headers = response_headers(reply.headers)

    state.body = body
    rcontext = context.with_variables(body=body, headers=headers, statusCode=status)
    if response_spec is None:
        if status >= 400:
            raise FlowError(_default_error(status, reply.reason, valid_failed=False))
        return

    if response_spec.temp is not None:
        values = _render(response_spec.temp, rcontext, f"{where}.response.temp")
        if isinstance(values, dict):
            state.temp = deep_merge(state.temp, values)
        rcontext = rcontext.with_variables(temp=state.temp)

    valid_failed = False
    if status < 400 and response_spec.valid is not None:
        valid_failed = not _is_valid(response_spec.valid, rcontext, where)

    if status >= 400 or valid_failed:
        raise FlowError(_resolve_error(response_spec, rcontext, status, reply.reason, valid_failed, where))

    if state.run.mode == "module":
        output = getattr(request, "module_output", None)
        if output is not None:
            state.body = _module_result(output, rcontext, where, body)
        return

    if response_spec.data is not None:
        values = _render(response_spec.data, rcontext, f"{where}.response.data")
        if isinstance(values, dict):
            if state.run.on_data is not None:
                state.run.on_data(values)
            state.data = deep_merge(state.data, values)

    if response_spec.metadata is not None:
        meta_type, meta_value = response_spec.metadata
        rendered = _render(meta_value, rcontext, f"{where}.response.metadata.value")
        state.metadata = {"type": meta_type or "text", "value": to_string(rendered)}

    if response_spec.uid is not None:
        rendered = _render(response_spec.uid, rcontext, f"{where}.response.uid")
        state.uid = None if is_nullish(rendered) else to_string(rendered)


def _module_result(output: Any, context: Context, where: str, body: Any) -> Any:
    """Render a module's `output`, once or per item of `iterate`, as Make modules do."""
    path = f"{where}.response"
    if output.container is None:
        if output.output is None:
            return body
        return _render(output.output, context, f"{path}.output")

    items = _render(output.container, context, f"{path}.iterate")
    if is_nullish(items):
        items = []
    elif not isinstance(items, list):
        items = [items]
    limit = output.limit
    if limit is not None and not isinstance(limit, int):
        limit = _render(limit, context, f"{path}.limit")
    results: list[Any] = []
    for item in items:
        item_context = context.with_variables(item=item)
        if output.condition is not None and not truthy(_render(output.condition, item_context, f"{path}.iterate.condition")):
            continue
        results.append(item if output.output is None else _render(output.output, item_context, f"{path}.output"))
        if isinstance(limit, (int, float)) and not isinstance(limit, bool) and len(results) >= limit:
            break
    return results


def _is_valid(valid: Any, context: Context, where: str) -> bool:
    if isinstance(valid, bool):
        return valid
    condition = getattr(valid, "condition", valid)
    if isinstance(condition, bool):
        return condition
    return truthy(_render(condition, context, f"{where}.response.valid"))


def _message_of(source: Any, context: Context, where: str) -> str:
    if source is None:
        return ""
    return to_string(_render(source, context, where)).strip()


def _resolve_error(
    response_spec: Any,
    context: Context,
    status: int,
    reason: str,
    valid_failed: bool,
    where: str,
) -> VerificationError:
    """Pick the message and type of a failed response, in the documented order of sources."""
    messages: list[tuple[Any, str]] = []
    types: list[Any] = []

    valid = response_spec.valid
    if valid_failed and valid is not None and not isinstance(valid, bool) and hasattr(valid, "condition"):
        messages.append((getattr(valid, "message", None), f"{where}.response.valid.message"))
        types.append(getattr(valid, "type", None))

    error = response_spec.error
    if error is not None:
        by_status = getattr(error, "by_status", None) or {}
        specific = by_status.get(status)
        if specific is not None:
            messages.append((specific.message, f"{where}.response.error.{status}.message"))
            types.append(specific.type)
        messages.append((error.message, f"{where}.response.error.message"))
        types.append(error.type)

    message = ""
    for source, path in messages:
        message = _message_of(source, context, path)
        if message:
            break

    error_type = None
    for candidate in types:
        if isinstance(candidate, str) or candidate is None:
            error_type = _error_type(candidate)
        else:
            error_type = _error_type(_render(candidate, context, f"{where}.response.error.type"))
        if error_type:
            break

    if not message or not error_type:
        fallback = _default_error(status, reason, valid_failed)
        message = message or fallback.message
        error_type = error_type or fallback.type
    return VerificationError(error_type, message, status)


def _default_error(status: int, reason: str, valid_failed: bool) -> VerificationError:
    if valid_failed and status < 400:
        message = INVALID_MESSAGE
    else:
        message = f"[{status}] {status_reason(status, reason)}"
    if status == 429:
        error_type = "RateLimitError"
    elif 500 <= status <= 599:
        error_type = "ConnectionError"
    else:
        error_type = "RuntimeError"
    return VerificationError(error_type, message, status)
