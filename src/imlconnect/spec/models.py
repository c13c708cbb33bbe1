"""Typed models of a basic connection's communication, with every IML string compiled.

The models are plain data: `imlconnect.spec.checks` builds them from a parsed file and
`imlconnect.flow` runs them. A `Template` is the compiled form of one IML string and a
`CompiledValue` the compiled form of a JSON value that may hold IML strings at any depth
(both from `imlconnect.iml`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import Problem

if TYPE_CHECKING:
    from ..iml import CompiledValue, Template
else:  # The IML compiler's classes are only needed for type checking.
    Template = Any
    CompiledValue = Any

#: Serializations of a request body (`type` of a request).
REQUEST_BODY_TYPES: tuple[str, ...] = (
    "json",
    "urlencoded",
    "multipart/form-data",
    "text",
    "string",
    "raw",
    "binary",
)

#: Parsers of a response body (`response.type`).
RESPONSE_TYPES: tuple[str, ...] = (
    "json",
    "urlencoded",
    "xml",
    "text",
    "string",
    "raw",
    "binary",
    "automatic",
)

#: Kinds of connection metadata (`response.metadata.type`).
METADATA_TYPES: tuple[str, ...] = ("text", "email")

DEFAULT_TIMEOUT_MS = 40_000
MAX_TIMEOUT_MS = 300_000


class ConditionSpec(NamedTuple):
    """The `{condition, default}` form of a request condition.

    When `condition` is falsy the request is skipped and `default` (when present) is used as
    the request's result.
    """

    condition: Template | bool
    default: CompiledValue | None


class MetadataSpec(NamedTuple):
    """The `response.metadata` directive: a label for the connection of `type` `text` (default) or `email`."""

    type: str
    value: Template


@dataclass(frozen=True)
class ValidSpec:
    """The object form of `response.valid`: `{condition, message, type}`.

    `condition` is None when the object has no `condition` key, which leaves the response valid.
    """

    condition: Template | bool | None
    message: Template | None = None
    type: str | None = None


@dataclass(frozen=True)
class ErrorSpec:
    """`response.error`: the message and type of the error raised for a failed response.

    `by_status` contains the `"<status>": {message, type}` entries, keyed by the integer status.
    """

    message: Template | None = None
    type: str | None = None
    by_status: dict[int, ErrorSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseSpec:
    """The `response` directives of one request.

    `type` is a response type name or a map of `*`, `NNN` or `NNN-NNN` to a type name.
    `valid` is None when absent (the response is valid below status 400).
    """

    type: str | dict[str, str] = "automatic"
    temp: CompiledValue | None = None
    valid: bool | Template | ValidSpec | None = None
    error: ErrorSpec | None = None
    data: CompiledValue | None = None
    metadata: MetadataSpec | None = None
    uid: Template | None = None


@dataclass(frozen=True)
class RequestSpec:
    """One request of a connection's communication, with its response handling.

    `qs` is None when the directive is absent and a compiled empty object for `qs: {}`, which
    removes the query string of `url`. `timeout_ms` is at most 300000. `json_path` locates the
    request in its file (`communication`, or `communication[1]` for the second request).
    """

    url: Template
    method: Template
    headers: CompiledValue | None = None
    qs: CompiledValue | None = None
    body: CompiledValue | None = None
    type: str = "json"
    ca: Template | None = None
    condition: bool | Template | ConditionSpec | None = None
    temp: CompiledValue | None = None
    encode_url: bool = True
    follow_redirects: bool = True
    follow_all_redirects: bool = True
    gzip: bool = False
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    log_sanitize: list[str] = field(default_factory=list)
    response: ResponseSpec = field(default_factory=ResponseSpec)
    json_path: str = "communication"
    #: Module-style requests only: what the request returns instead of the whole body.
    module_output: ModuleOutputSpec | None = None


@dataclass(frozen=True)
class ModuleOutputSpec:
    """The `response.output`, `response.iterate` and `response.limit` of a module-style request.

    Without `iterate`, `output` is rendered once. With it, `container` gives the items,
    `condition` (with `item` bound) filters them, and `output` is rendered per item; `limit`
    caps the number of items. A missing `output` returns the body, or the items.
    """

    output: CompiledValue | None = None
    container: Template | None = None
    condition: Template | None = None
    limit: Template | int | None = None


@dataclass
class ConnectionSpec:
    """A loaded basic connection: its requests, parameters, common data and app base URL.

    `parameters` is the `imlconnect.params.ParameterSpec` of the parameters file. `common` merges
    the app-level common data, the connection's own common data and an explicit common file, in
    that order, later sources winning on a clash. `base_url` is the compiled `baseUrl` of the
    app's base file, the only base directive that applies to connections. `files` maps each role
    (`communication`, `parameters`, `common`, `app_common`, `base`, `metadata`, `manifest`,
    `bundle`) to the file it was read from. `warnings` lists every warning found while loading.
    """

    name: str
    requests: list[RequestSpec]
    parameters: Any
    app: str | None = None
    label: str | None = None
    common: dict[str, Any] = field(default_factory=dict)
    base_url: Template | None = None
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
