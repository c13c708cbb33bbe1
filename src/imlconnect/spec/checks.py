"""Checks of a connection's communication, and the typed models built while checking it.

`CommunicationChecker` walks the parsed communication once: every directive is checked for its
name and JSON type, every IML string is compiled (once) with `imlconnect.iml`, and the result is
a list of `RequestSpec` plus located problems. Errors stop the connection from loading.
Warnings (dialects that are not portable, ignored directives, unknown error types, objects
inside text) are reported by `imlconnect validate` and kept on the loaded spec.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from .. import iml as iml_package
from ..errors import ERROR_TYPES, Problem
from ..iml.errors import IMLError, IMLSyntaxError, UnknownFunctionError
from .models import (
    DEFAULT_TIMEOUT_MS,
    MAX_TIMEOUT_MS,
    METADATA_TYPES,
    REQUEST_BODY_TYPES,
    RESPONSE_TYPES,
    ConditionSpec,
    ErrorSpec,
    MetadataSpec,
    RequestSpec,
    ResponseSpec,
    ValidSpec,
)
from .reader import Document, Position, index_path, join_path

REQUEST_DIRECTIVES: tuple[str, ...] = (
    "url", "method", "headers", "qs", "body", "type", "ca", "condition", "temp", "response",
    "encodeUrl", "followRedirects", "followAllRedirects", "gzip", "timeout", "log",
)  # fmt: skip
RESPONSE_DIRECTIVES: tuple[str, ...] = ("type", "temp", "valid", "error", "data", "metadata", "uid")

#: Response directives of modules and OAuth flows that a basic connection ignores.
IGNORED_RESPONSE_DIRECTIVES: dict[str, str] = {
    "output": "a connection has no output",
    "iterate": "a connection has no output to iterate",
    "limit": "a connection has no output to limit",
    "trigger": "it applies to trigger modules only",
    "wrapper": "it applies to modules only",
    "expires": "it applies to OAuth connections only",
}

#: Top-level keys of an OAuth communication.
OAUTH_DIRECTIVES: tuple[str, ...] = ("authorize", "token", "refresh", "info", "invalidate", "preauthorize")

HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")

#: Variables that contain a whole object, so `{{body}}` inside text renders as "{object}".
OBJECT_VARIABLES: tuple[str, ...] = (
    "parameters", "body", "connection", "data", "temp", "common", "headers", "query", "oauth",
)  # fmt: skip

_WHOLE_EXPRESSION = re.compile(r"^\{\{(?:(?!\}\}).)*\}\}$", re.DOTALL)
_OBJECT_IN_TEXT = re.compile(r"\{\{\s*(" + "|".join(OBJECT_VARIABLES) + r")\s*\}\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_STATUS_KEY = re.compile(r"^[1-5][0-9][0-9]$")
_TYPE_RANGE_KEY = re.compile(r"^(?:\*|[0-9]{1,3}(?:-[0-9]{1,3})?)$")
_SPREAD_KEY = re.compile(r"^\{\{\s*\.\.\.\s*\}\}$")
_NOTE_COLUMN = re.compile(r"^Column (?P<column>\d+): (?P<note>.*)$", re.DOTALL)

Severity = Literal["error", "warning"]


def suggest(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """Return the known name closest to a misspelt `name`, or None when nothing is close.

    `cutoff` is the minimum similarity ratio of difflib (0 to 1).
    """
    candidates = list(known)
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def json_kind(value: Any) -> str:
    """Name the JSON type of a value for messages: `an object`, `a string`, ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


def is_whole_expression(text: str) -> bool:
    """True when `text` is exactly one `{{...}}` and so evaluates to a typed value."""
    return bool(_WHOLE_EXPRESSION.match(text)) and text.count("{{") == 1


def literal_url_start(url: str) -> str:
    """Return the text of `url` before its first `{{`, the part that is known at load time."""
    return url.split("{{", 1)[0]


def is_statically_relative(url: str) -> bool:
    """True when the literal start of a URL template shows that the URL has no scheme.

    A URL that starts with an expression (`{{parameters.baseUrl}}/me`) is not known at load
    time and counts as absolute here.
    """
    start = literal_url_start(url)
    if not start:
        return False
    if _SCHEME.match(start):
        return False
    lowered = start.lower()
    return not ("https://".startswith(lowered) or "http://".startswith(lowered))


class CommunicationChecker:
    """Check one communication and build its `RequestSpec` list.

    `custom_functions` names the app's custom IML functions, so a call to one gets a message
    stating that custom functions are not run yet. After `check`, `problems` contains every error and
    warning, `relative_urls` the JSON paths of request URLs without a scheme, and
    `embedded_parameters` a `parameters` list found inside the communication object, if any.
    """

    def __init__(self, document: Document, *, custom_functions: frozenset[str] = frozenset()) -> None:
        self.document = document
        self.custom_functions = custom_functions
        self.problems: list[Problem] = []
        self.relative_urls: list[str] = []
        self.embedded_parameters: tuple[str, list[Any]] | None = None

    # --- problems --------------------------------------------------------------------------

    def report(
        self,
        path: str,
        message: str,
        *,
        severity: Severity = "error",
        key: bool = False,
        at: Position | None = None,
    ) -> None:
        self.problems.append(self.document.problem(path, message, severity=severity, key=key, at=at))

    def unknown_key(self, path: str, key: str, known: Iterable[str], what: str) -> None:
        known_list = list(known)
        closest = suggest(key, known_list)
        hint = (
            f'; did you mean "{closest}"?'
            if closest
            else f". Known {what} directives: {', '.join(known_list)}."
        )
        self.report(join_path(path, key), f'"{key}" is not a known {what} directive{hint}', key=True)

    # --- communication and requests -------------------------------------------------------------

    def check(self, value: Any, path: str) -> list[RequestSpec]:
        """Check a communication (one request object or an array of them) and build its requests."""
        if isinstance(value, dict):
            if not value:
                self.report(
                    path,
                    "The communication is empty, so verifying the connection sends no request and "
                    "checks no credentials.",
                    severity="warning",
                )
                return []
            request = self.request(value, path)
            return [request] if request is not None else []

        if isinstance(value, list):
            if not value:
                self.report(
                    path,
                    "The communication is an empty array, so verifying the connection sends no request.",
                    severity="warning",
                )
            requests: list[RequestSpec] = []
            for index, item in enumerate(value):
                item_path = index_path(path, index)
                if not isinstance(item, dict):
                    self.report(item_path, f"Invalid request: expected an object, found {json_kind(item)}.")
                    continue
                request = self.request(item, item_path)
                if request is not None:
                    requests.append(request)
            return requests

        self.report(
            path,
            f"Invalid communication: expected a request object or an array of request objects, found {json_kind(value)}.",
        )
        return []

    def request(self, spec: dict[str, Any], path: str) -> RequestSpec | None:
        """Check one request object and return its model, or None when it has errors."""
        errors_before = self.error_count()
        for key, item in spec.items():
            if key in REQUEST_DIRECTIVES:
                continue
            if key == "parameters":
                self.embedded_parameters_found(item, join_path(path, key))
            elif key in OAUTH_DIRECTIVES:
                self.report(
                    join_path(path, key),
                    f'"{key}" is an OAuth directive; a request of a basic connection cannot contain it.',
                    key=True,
                )
            else:
                self.unknown_key(path, key, REQUEST_DIRECTIVES, "request")

        url = None
        if "url" not in spec:
            self.report(path, 'Missing "url": every request needs the URL it calls.')
        else:
            url = self.template(join_path(path, "url"), spec["url"], what="url")
            if isinstance(spec["url"], str) and is_statically_relative(spec["url"]):
                self.relative_urls.append(join_path(path, "url"))

        method = self.method(spec, path)
        headers = self.flat_object(spec, path, "headers")
        qs = self.flat_object(spec, path, "qs")
        body = self.value(join_path(path, "body"), spec["body"]) if "body" in spec else None
        body_type = self.choice(
            spec, path, "type", REQUEST_BODY_TYPES, default="json", what="request body type"
        )
        ca = self.template(join_path(path, "ca"), spec["ca"], what="ca") if "ca" in spec else None
        condition = (
            self.condition(spec["condition"], join_path(path, "condition")) if "condition" in spec else None
        )
        temp = self.object_value(spec, path, "temp")
        encode_url = self.boolean(spec, path, "encodeUrl", default=True)
        follow_redirects = self.boolean(spec, path, "followRedirects", default=True)
        follow_all_redirects = self.boolean(spec, path, "followAllRedirects", default=True)
        gzip = self.boolean(spec, path, "gzip", default=False)
        timeout_ms = self.timeout(spec, path)
        log_sanitize = self.log(spec.get("log"), join_path(path, "log")) if "log" in spec else []
        response = (
            self.response(spec["response"], join_path(path, "response"))
            if "response" in spec
            else ResponseSpec()
        )

        if self.error_count() > errors_before or url is None or method is None or response is None:
            return None
        return RequestSpec(
            url=url,
            method=method,
            headers=headers,
            qs=qs,
            body=body,
            type=body_type,
            ca=ca,
            condition=condition,
            temp=temp,
            encode_url=encode_url,
            follow_redirects=follow_redirects,
            follow_all_redirects=follow_all_redirects,
            gzip=gzip,
            timeout_ms=timeout_ms,
            log_sanitize=log_sanitize,
            response=response,
            json_path=path,
        )

    def error_count(self) -> int:
        return sum(1 for problem in self.problems if problem.severity == "error")

    def embedded_parameters_found(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.report(
                path, f"Invalid parameters: expected an array of parameter objects, found {json_kind(value)}."
            )
            return
        self.report(
            path,
            "A parameters list inside the communication is not standard; it is used only when the "
            "connection has no parameters file. Move it to its own parameters file.",
            severity="warning",
            key=True,
        )
        if self.embedded_parameters is None:
            self.embedded_parameters = (path, value)

    def method(self, spec: dict[str, Any], path: str) -> Any:
        method_path = join_path(path, "method")
        raw = spec.get("method", "GET")
        template = self.template(method_path, raw, what="method")
        if (
            template is not None
            and isinstance(raw, str)
            and "{{" not in raw
            and raw.upper() not in HTTP_METHODS
        ):
            self.report(
                method_path,
                f'"{raw}" is not a standard HTTP method ({", ".join(HTTP_METHODS)}).',
                severity="warning",
            )
        return template

    def flat_object(self, spec: dict[str, Any], path: str, name: str) -> Any:
        """Check `headers` or `qs`: an object of text values (a whole `{{...}}` is allowed too)."""
        if name not in spec:
            return None
        value = spec[name]
        member_path = join_path(path, name)
        if isinstance(value, dict):
            for key, item in value.items():
                if _SPREAD_KEY.match(key):
                    continue
                if isinstance(item, dict) or (name == "headers" and isinstance(item, list)):
                    self.report(
                        join_path(member_path, key),
                        f'"{key}" is {json_kind(item)}, but {name} is a flat object; give it a text value.',
                        severity="warning",
                    )
        elif not (isinstance(value, str) and is_whole_expression(value)):
            self.report(member_path, f'Invalid "{name}": expected an object, found {json_kind(value)}.')
            return None
        return self.value(member_path, value)

    def object_value(self, spec: dict[str, Any], path: str, name: str) -> Any:
        """Check an IML object directive (`temp`, `data`): an object or one whole `{{...}}`."""
        if name not in spec:
            return None
        value = spec[name]
        member_path = join_path(path, name)
        if not isinstance(value, dict) and not (isinstance(value, str) and is_whole_expression(value)):
            self.report(member_path, f'Invalid "{name}": expected an object, found {json_kind(value)}.')
            return None
        return self.value(member_path, value)

    def choice(
        self, spec: dict[str, Any], path: str, name: str, allowed: tuple[str, ...], *, default: str, what: str
    ) -> str:
        if name not in spec:
            return default
        value = spec[name]
        member_path = join_path(path, name)
        if not isinstance(value, str):
            self.report(
                member_path, f'Invalid "{name}": expected a {what} as a string, found {json_kind(value)}.'
            )
            return default
        if value not in allowed:
            closest = suggest(value, allowed)
            hint = f'; did you mean "{closest}"?' if closest else "."
            self.report(
                member_path,
                f'"{value}" is not a {what}. Allowed: {", ".join(allowed)}{hint}',
            )
            return default
        return value

    def boolean(self, spec: dict[str, Any], path: str, name: str, *, default: bool) -> bool:
        if name not in spec:
            return default
        value = spec[name]
        if not isinstance(value, bool):
            self.report(
                join_path(path, name), f'Invalid "{name}": expected true or false, found {json_kind(value)}.'
            )
            return default
        return value

    def timeout(self, spec: dict[str, Any], path: str) -> int:
        if "timeout" not in spec:
            return DEFAULT_TIMEOUT_MS
        value = spec["timeout"]
        member_path = join_path(path, "timeout")
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(
                member_path,
                f'Invalid "timeout": expected a whole number of milliseconds, found {json_kind(value)}.',
            )
            return DEFAULT_TIMEOUT_MS
        if value <= 0:
            self.report(
                member_path, f'Invalid "timeout": {value} ms; give a positive number of milliseconds.'
            )
            return DEFAULT_TIMEOUT_MS
        if value > MAX_TIMEOUT_MS:
            self.report(
                member_path,
                f'Invalid "timeout": {value} ms is more than the maximum of {MAX_TIMEOUT_MS} ms (5 minutes).',
            )
            return DEFAULT_TIMEOUT_MS
        return value

    def condition(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self.template(path, value, what="condition")
        if isinstance(value, dict):
            for key in value:
                if key not in ("condition", "default"):
                    self.unknown_key(path, key, ("condition", "default"), "condition")
            if "condition" not in value:
                self.report(path, 'Missing "condition" in the condition object.')
                return None
            inner = value["condition"]
            inner_path = join_path(path, "condition")
            compiled: Any
            if isinstance(inner, bool):
                compiled = inner
            else:
                compiled = self.template(inner_path, inner, what="condition")
            default = self.value(join_path(path, "default"), value["default"]) if "default" in value else None
            return ConditionSpec(compiled, default) if compiled is not None else None
        self.report(
            path,
            f'Invalid "condition": expected true, false, an IML string or an object, found {json_kind(value)}.',
        )
        return None

    def log(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, dict):
            self.report(path, f'Invalid "log": expected an object, found {json_kind(value)}.')
            return []
        sanitize: list[str] = []
        for key, item in value.items():
            item_path = join_path(path, key)
            if key == "sanitize":
                if not isinstance(item, list) or not all(isinstance(entry, str) for entry in item):
                    self.report(
                        item_path,
                        'Invalid "log.sanitize": expected an array of paths such as "request.headers.authorization".',
                    )
                    continue
                sanitize = list(item)
            elif key == "level":
                self.report(
                    item_path,
                    '"log.level" is not used by imlconnect; it is ignored.',
                    severity="warning",
                    key=True,
                )
            else:
                self.unknown_key(path, key, ("sanitize",), "log")
        return sanitize

    # --- responses --------------------------------------------------------------------------------

    def response(self, value: Any, path: str) -> ResponseSpec | None:
        if not isinstance(value, dict):
            self.report(path, f'Invalid "response": expected an object, found {json_kind(value)}.')
            return None
        for key in value:
            if key in RESPONSE_DIRECTIVES:
                continue
            if key in IGNORED_RESPONSE_DIRECTIVES:
                self.report(
                    join_path(path, key),
                    f'"response.{key}" is ignored in a connection: {IGNORED_RESPONSE_DIRECTIVES[key]}.',
                    severity="warning",
                    key=True,
                )
            else:
                self.unknown_key(path, key, RESPONSE_DIRECTIVES, "response")

        return ResponseSpec(
            type=self.response_type(value["type"], join_path(path, "type"))
            if "type" in value
            else "automatic",
            temp=self.object_value(value, path, "temp"),
            valid=self.valid(value["valid"], join_path(path, "valid")) if "valid" in value else None,
            error=self.error_spec(value["error"], join_path(path, "error"), top=True)
            if "error" in value
            else None,
            data=self.object_value(value, path, "data"),
            metadata=self.metadata(value["metadata"], join_path(path, "metadata"))
            if "metadata" in value
            else None,
            uid=self.template(join_path(path, "uid"), value["uid"], what="uid") if "uid" in value else None,
        )

    def response_type(self, value: Any, path: str) -> str | dict[str, str]:
        if isinstance(value, str):
            if value not in RESPONSE_TYPES:
                closest = suggest(value, RESPONSE_TYPES)
                hint = f'; did you mean "{closest}"?' if closest else "."
                self.report(
                    path, f'"{value}" is not a response type. Allowed: {", ".join(RESPONSE_TYPES)}{hint}'
                )
                return "automatic"
            return value
        if not isinstance(value, dict):
            self.report(
                path,
                f'Invalid "response.type": expected a type name or an object of status ranges, found {json_kind(value)}.',
            )
            return "automatic"
        by_range: dict[str, str] = {}
        for key, item in value.items():
            item_path = join_path(path, key)
            if not _TYPE_RANGE_KEY.match(key):
                self.report(
                    item_path,
                    f'"{key}" is not a status range; use "*", a status such as "200" or a range such as "200-299".',
                    key=True,
                )
                continue
            if not isinstance(item, str) or item not in RESPONSE_TYPES:
                shown = item if isinstance(item, str) else json_kind(item)
                self.report(
                    item_path, f'"{shown}" is not a response type. Allowed: {", ".join(RESPONSE_TYPES)}.'
                )
                continue
            by_range[key] = item
        return by_range

    def valid(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self.template(path, value, what="valid")
        if isinstance(value, dict):
            for key in value:
                if key not in ("condition", "message", "type"):
                    self.unknown_key(path, key, ("condition", "message", "type"), "valid")
            condition: Any = None
            if "condition" in value:
                inner = value["condition"]
                condition = (
                    inner
                    if isinstance(inner, bool)
                    else self.template(join_path(path, "condition"), inner, what="valid.condition")
                )
            message = (
                self.template(join_path(path, "message"), value["message"], what="valid.message")
                if "message" in value
                else None
            )
            error_type = self.error_type(value["type"], join_path(path, "type")) if "type" in value else None
            return ValidSpec(condition=condition, message=message, type=error_type)
        self.report(
            path,
            f'Invalid "valid": expected true, false, an IML string or an object, found {json_kind(value)}.',
        )
        return None

    def error_spec(self, value: Any, path: str, *, top: bool) -> ErrorSpec | None:
        if isinstance(value, str):
            return ErrorSpec(message=self.template(path, value, what="error"))
        if not isinstance(value, dict):
            self.report(
                path, f'Invalid "error": expected an IML string or an object, found {json_kind(value)}.'
            )
            return None
        message = None
        error_type = None
        by_status: dict[int, ErrorSpec] = {}
        for key, item in value.items():
            item_path = join_path(path, key)
            if key == "message":
                message = self.template(item_path, item, what="error.message")
            elif key == "type":
                error_type = self.error_type(item, item_path)
            elif top and _STATUS_KEY.match(key):
                nested = self.error_spec(item, item_path, top=False)
                if nested is not None:
                    by_status[int(key)] = nested
            elif top and key.isdigit():
                self.report(item_path, f'"{key}" is not an HTTP status code (100-599).', key=True)
            else:
                known = ("message", "type", "<status code>") if top else ("message", "type")
                self.unknown_key(path, key, known, "error")
        return ErrorSpec(message=message, type=error_type, by_status=by_status)

    def error_type(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str):
            self.report(path, f"Invalid error type: expected a string, found {json_kind(value)}.")
            return None
        if value not in ERROR_TYPES:
            closest = suggest(value, ERROR_TYPES, cutoff=0.8)
            hint = f' Did you mean "{closest}"?' if closest else ""
            self.report(
                path,
                f'"{value}" is not one of the error types of Make ({", ".join(ERROR_TYPES)}); '
                f"it is raised as RuntimeError.{hint}",
                severity="warning",
            )
        return value

    def metadata(self, value: Any, path: str) -> MetadataSpec | None:
        if not isinstance(value, dict):
            self.report(
                path,
                f'Invalid "metadata": expected an object with "type" and "value", found {json_kind(value)}.',
            )
            return None
        for key in value:
            if key not in ("type", "value"):
                self.unknown_key(path, key, ("type", "value"), "metadata")
        metadata_type = "text"
        if "type" in value:
            raw_type = value["type"]
            if raw_type not in METADATA_TYPES:
                shown = raw_type if isinstance(raw_type, str) else json_kind(raw_type)
                self.report(
                    join_path(path, "type"), f'"{shown}" is not a metadata type; use "text" or "email".'
                )
            else:
                metadata_type = raw_type
        if "value" not in value:
            self.report(path, 'Missing "value" in metadata: it is the text that labels the connection.')
            return None
        template = self.template(join_path(path, "value"), value["value"], what="metadata.value")
        return MetadataSpec(metadata_type, template) if template is not None else None

    # --- IML ---------------------------------------------------------------------------------------

    def template(self, path: str, value: Any, *, what: str) -> Any:
        """Compile one IML string directive, or report why it is invalid and return None."""
        if not isinstance(value, str):
            self.report(path, f'Invalid "{what}": expected an IML string, found {json_kind(value)}.')
            return None
        try:
            template = iml_package.compile_template(value)
        except IMLSyntaxError as exc:
            self.iml_problem(path, exc)
            return None
        self.dialect_warnings(path, getattr(template, "warnings", []))
        self.object_in_text_warnings(path, value)
        return template

    def value(self, path: str, value: Any) -> Any:
        """Compile a JSON value whose strings at any depth are IML; report every failing string."""
        try:
            compiled = iml_package.compile_value(value, path=path)
        except IMLSyntaxError as exc:
            if not self.report_each_string(path, value):
                failing = getattr(exc, "json_path", None) or path
                self.iml_problem(self.known_path(failing, path), exc)
            return None
        for template_path, template in compiled.templates():
            self.dialect_warnings(self.known_path(template_path, path), getattr(template, "warnings", []))
        for string_path, text in iter_strings(value, path):
            self.object_in_text_warnings(string_path, text)
        return compiled

    def report_each_string(self, path: str, value: Any) -> bool:
        """Compile each string of a value that failed to compile as a whole, reporting each error.

        Runs only on the failure path, so a valid value is still compiled once. Returns whether
        any error was found.
        """
        found = False
        for string_path, text in iter_strings(value, path):
            try:
                iml_package.compile_template(text)
            except IMLSyntaxError as exc:
                self.iml_problem(string_path, exc)
                found = True
        return found

    def known_path(self, path: str, fallback: str) -> str:
        """Map a JSON path written by the IML compiler onto a path of this document."""
        if path in self.document.raw_strings:
            return path
        shifted = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) - 1}]", path)
        if shifted in self.document.raw_strings:
            return shifted
        return path if path.startswith(fallback) else fallback

    def iml_problem(self, path: str, exc: IMLError) -> None:
        column = getattr(exc, "column", None)
        at = self.document.template_position(path, column)
        if isinstance(exc, UnknownFunctionError):
            self.report(path, self.unknown_function_message(exc), at=at)
            return
        message = exc.message.rstrip(".")
        self.report(path, f"Invalid IML: {message}.", at=at)

    def unknown_function_message(self, exc: UnknownFunctionError) -> str:
        name = exc.name
        if name in self.custom_functions:
            return (
                f'"{name}" is a custom IML function of this app. Custom IML functions '
                "(JavaScript in the app's functions folder) are not run by imlconnect yet."
            )
        if exc.suggestion:
            return f'Unknown IML function "{name}"; did you mean "{exc.suggestion}"?'
        return (
            f'"{name}" is not a built-in IML function. If it is a custom IML function of the app, '
            "note that custom functions (JavaScript in the app's functions folder) are not run by imlconnect yet."
        )

    def dialect_warnings(self, path: str, notes: Iterable[str]) -> None:
        """Report the compiler's dialect notes; a note may start with `Column N: ` inside the template."""
        for note in notes:
            located = _NOTE_COLUMN.match(note)
            at = None
            if located is not None:
                at = self.document.template_position(path, int(located.group("column")))
                note = located.group("note")
            self.report(path, f"Not portable: {note.rstrip('.')}.", severity="warning", at=at)

    def object_in_text_warnings(self, path: str, text: str) -> None:
        if "{{" not in text or is_whole_expression(text):
            return
        for match in _OBJECT_IN_TEXT.finditer(text):
            name = match.group(1)
            self.report(
                path,
                f'"{match.group(0)}" may be an object, and an object inside text renders as "{{object}}"; '
                f"use one of its fields instead, such as {{{{{name}.message}}}}.",
                severity="warning",
                at=self.document.template_position(path, match.start() + 1),
            )


def iter_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (JSON path, text) for every string value inside `value`, in document order."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, join_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, index_path(path, index))


def has_oauth_directives(value: Any) -> bool:
    """True when a communication object has the top-level keys of an OAuth connection."""
    return isinstance(value, dict) and any(key in value for key in ("authorize", "token", "refresh", "info"))
