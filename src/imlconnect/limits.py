"""Run-wide limits: every bound that protects one verification or module request.

`RunLimits` gathers the limits that are otherwise spread over the transport
(`http.limits.TransportOptions`), the flow (`RunInput.max_requests`, the response nesting depth,
the cap on each request's `timeout`) and the expression language (`iml.Limits`). The Python API
takes it as `limits=`, and `imlconnect verify` and `imlconnect request` build it from repeated
`--limit NAME=VALUE` options.

Every field name is also the option name, in snake_case with its unit at the end: `_s` for
seconds, `_bytes` for bytes, and no suffix for counts.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .http.limits import TransportOptions
    from .iml.limits import Limits

MIB = 1024 * 1024
KIB = 1024

#: The largest `timeout` a request spec may set (300000 ms), which is also the largest cap.
MAX_REQUEST_TIMEOUT_S = 300.0

# The IML defaults are repeated here, rather than read from `iml.DEFAULT_LIMITS`, so that the
# command line can build its help text without importing the expression language. A test checks
# that they stay equal.
IML_MAX_STRING_LENGTH = 10 * MIB
IML_MAX_ARRAY_LENGTH = 100_000
IML_MAX_DEPTH = 64
IML_MAX_TEMPLATE_LENGTH = 1 * MIB
IML_MAX_PATTERN_LENGTH = 10_000
IML_REGEX_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class RunLimits:
    """Bounds on one run's requests, responses and expressions. Defaults suit real APIs.

    Raises `UsageError` when a value is not a positive number, when `max_redirects` is negative,
    or when `max_request_timeout_s` is above 300.
    """

    connect_timeout_s: float = 10.0
    """Maximum seconds for one TCP connect plus TLS handshake."""

    read_timeout_s: float = 30.0
    """Maximum seconds to wait for the next bytes from the server."""

    max_request_timeout_s: float = MAX_REQUEST_TIMEOUT_S
    """Cap on each request's total time. The spec's `timeout` (default 40 s) still applies below it."""

    max_response_bytes: int = 16 * MIB
    """Maximum size of a response body, both as received and after gzip, deflate or br decoding."""

    max_redirects: int = 10
    """Maximum redirects followed for one request; 0 turns redirects into errors."""

    max_response_headers: int = 100
    """Maximum number of header lines in one response."""

    max_response_header_bytes: int = 64 * KIB
    """Maximum total size of one response's header names and values."""

    max_requests: int = 50
    """Maximum requests that one run sends (redirect hops are not counted)."""

    max_response_depth: int = 256
    """Maximum nesting depth of a JSON or XML response body."""

    iml_max_string_length: int = IML_MAX_STRING_LENGTH
    """Maximum length of a text (characters) or binary value (bytes) that an expression produces."""

    iml_max_array_length: int = IML_MAX_ARRAY_LENGTH
    """Maximum number of items in an array that an IML function produces."""

    iml_max_depth: int = IML_MAX_DEPTH
    """Maximum nesting depth of an IML expression, checked when the run starts."""

    iml_max_template_length: int = IML_MAX_TEMPLATE_LENGTH
    """Maximum length in characters of one IML template, checked when the run starts."""

    iml_max_pattern_length: int = IML_MAX_PATTERN_LENGTH
    """Maximum length of a regular expression that IML functions accept."""

    iml_regex_timeout_s: float = IML_REGEX_TIMEOUT_S
    """Time bound of one regular expression operation in IML functions."""

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if spec.name.endswith("_s"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                    raise UsageError(f"The limit {spec.name} must be a positive number of seconds, not {value!r}.")
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise UsageError(f"The limit {spec.name} must be a whole number, not {value!r}.")
            minimum = 0 if spec.name == "max_redirects" else 1
            if value < minimum:
                word = "zero or more" if minimum == 0 else "at least 1"
                raise UsageError(f"The limit {spec.name} must be {word}, not {value}.")
        if self.max_request_timeout_s > MAX_REQUEST_TIMEOUT_S:
            raise UsageError(
                f"The limit max_request_timeout_s must be at most {MAX_REQUEST_TIMEOUT_S:g} seconds, "
                f"not {self.max_request_timeout_s:g}."
            )

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the limit names in declaration order; they are the `--limit` option names."""
        return tuple(spec.name for spec in dataclasses.fields(cls))

    @classmethod
    def from_options(cls, items: Iterable[str], base: RunLimits | None = None) -> RunLimits:
        """Build limits from `NAME=VALUE` texts, later items winning, over `base` (or the defaults).

        Raises `UsageError` for an item without `=`, an unknown name (the message lists the valid
        names) or a value that is not a number of the right kind.
        """
        values: dict[str, str] = {}
        for item in items:
            name, separator, text = item.partition("=")
            name = name.strip()
            if not separator or not name:
                raise UsageError(f"The limit '{item}' is not NAME=VALUE, such as max_response_bytes=1048576.")
            values[name] = text.strip()
        return (base or cls()).with_values(values)

    def with_values(self, values: Mapping[str, Any]) -> RunLimits:
        """Return a copy with the named limits changed; text values are parsed as numbers.

        Raises `UsageError` for an unknown name (listing the valid ones) or a bad value.
        """
        known = {spec.name: spec for spec in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in known:
                raise UsageError(f"Unknown limit '{name}'. Valid limits: {', '.join(self.names())}.")
            changes[name] = _parse_value(name, raw)
        return dataclasses.replace(self, **changes)

    # --- wiring --------------------------------------------------------------------------------

    def iml_limits(self) -> Limits:
        """Return the expression-language limits for the IML evaluation context."""
        from .iml.limits import DEFAULT_LIMITS

        return dataclasses.replace(
            DEFAULT_LIMITS,
            max_depth=self.iml_max_depth,
            max_string_length=self.iml_max_string_length,
            max_array_length=self.iml_max_array_length,
            max_template_length=self.iml_max_template_length,
            max_pattern_length=self.iml_max_pattern_length,
            regex_timeout_seconds=float(self.iml_regex_timeout_s),
        )

    def transport_options(self, base: TransportOptions | None = None, **changes: Any) -> TransportOptions:
        """Return transport options that carry these limits, over `base` and the other `changes`."""
        from .http.limits import TransportOptions

        fields: dict[str, Any] = {
            "connect_timeout_s": float(self.connect_timeout_s),
            "read_timeout_s": float(self.read_timeout_s),
            "max_response_bytes": self.max_response_bytes,
            "max_redirects": self.max_redirects,
            "max_header_count": self.max_response_headers,
            "max_header_bytes": self.max_response_header_bytes,
        }
        fields.update(changes)
        if base is None:
            return TransportOptions(**fields)
        return dataclasses.replace(base, **fields)

    def describe(self) -> list[tuple[str, str, str]]:
        """Return `(name, default, description)` rows, for help text and documentation."""
        rows = []
        for spec in dataclasses.fields(self):
            rows.append((spec.name, _format(getattr(self, spec.name)), _DESCRIPTIONS[spec.name]))
        return rows


DEFAULT_RUN_LIMITS = RunLimits()

_DESCRIPTIONS: dict[str, str] = {
    "connect_timeout_s": "seconds for one TCP connect plus TLS handshake",
    "read_timeout_s": "seconds to wait for the next bytes from the server",
    "max_request_timeout_s": "cap on each request's total seconds (the spec's timeout applies below it)",
    "max_response_bytes": "bytes of one response body, as received and after decoding",
    "max_redirects": "redirects followed for one request",
    "max_response_headers": "header lines in one response",
    "max_response_header_bytes": "bytes of one response's header names and values",
    "max_requests": "requests sent by one run",
    "max_response_depth": "nesting depth of a JSON or XML response body",
    "iml_max_string_length": "characters (or bytes) of a value that an expression produces",
    "iml_max_array_length": "items of an array that an IML function produces",
    "iml_max_depth": "nesting depth of an IML expression",
    "iml_max_template_length": "characters of one IML template",
    "iml_max_pattern_length": "characters of a regular expression in IML functions",
    "iml_regex_timeout_s": "seconds for one regular expression operation",
}


def _format(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _parse_value(name: str, raw: Any) -> float | int:
    if not isinstance(raw, str):
        return raw  # type: ignore[no-any-return]
    text = raw.strip().replace("_", "")
    try:
        if name.endswith("_s"):
            return float(text)
        return int(text)
    except ValueError:
        kind = "a number of seconds" if name.endswith("_s") else "a whole number"
        raise UsageError(f"The limit {name} must be {kind}, not '{raw}'.") from None


def limits_help() -> str:
    """Return the `--limit` option help: every name with its default."""
    listed = "; ".join(f"{name} ({default})" for name, default, _ in DEFAULT_RUN_LIMITS.describe())
    return f"Change one limit, as NAME=VALUE. Repeatable. Names and defaults: {listed}."


def template_limit_problems(spec: Any, limits: Limits) -> list[Any]:
    """Check every IML template of a loaded spec against `limits` and return the problems.

    Specs are compiled at load time with the default limits, so this applies a stricter
    `iml_max_depth` or `iml_max_template_length` before a run. Returns `Problem`s with the JSON
    path of each template that fails.
    """
    from .errors import Problem
    from .iml import DEFAULT_LIMITS, CompiledValue, IMLError, Template, compile_template

    if limits.max_depth >= DEFAULT_LIMITS.max_depth and limits.max_template_length >= DEFAULT_LIMITS.max_template_length:
        # NOTE: loading already enforced the defaults, and looser values cannot undo that.
        return []

    problems: list[Problem] = []
    seen: set[int] = set()

    def check(path: str, template: Template) -> None:
        try:
            compile_template(template.source, limits=limits)
        except IMLError as error:
            problems.append(Problem(path=path, message=str(error)))

    def walk(node: Any, path: str) -> None:
        if id(node) in seen or node is None or isinstance(node, (str, bytes, int, float, bool)):
            return
        seen.add(id(node))
        if isinstance(node, Template):
            check(path, node)
        elif isinstance(node, CompiledValue):
            for template_path, template in node.templates():
                check(template_path, template)
        elif isinstance(node, Mapping):
            for key, item in node.items():
                walk(item, f"{path}.{key}")
        elif isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                walk(item, f"{path}[{index + 1}]")
        elif dataclasses.is_dataclass(node):
            for spec_field in dataclasses.fields(node):
                walk(getattr(node, spec_field.name), f"{path}.{spec_field.name}")

    for request in getattr(spec, "requests", []) or []:
        walk(request, getattr(request, "json_path", "communication"))
    base_url = getattr(spec, "base_url", None)
    if base_url is not None:
        walk(base_url, "base.baseUrl")
    return problems
