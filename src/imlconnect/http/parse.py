"""Decode a response body into an IML value according to `response.type`.

Response types: `json`, `urlencoded`, `xml`, `text` (with its aliases `string` and `raw`),
`binary` and `automatic` (the default), which picks one of the others from the Content-Type:

- `application/json`, `text/json` and any `+json` type: json,
- `application/x-www-form-urlencoded`: urlencoded,
- `application/xml`, `text/xml` and any `+xml` type: xml,
- any other `text/*`: text,
- anything else, or no Content-Type: binary (the body stays bytes).

Text is decoded with the charset of the Content-Type, or with UTF-8 when there is none or Python
does not support it. Bytes that do not decode become U+FFFD. An empty body is undefined for every
type.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from ..iml.values import MAX_SAFE_INTEGER, UNDEFINED, Value
from .charsets import text_codec
from .models import ParsedResponse, ResponseParseError, WireResponse
from .xml import DEFAULT_MAX_DEPTH, parse_xml

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "RESPONSE_TYPES",
    "automatic_type",
    "decode_text",
    "parse_content_type",
    "parse_json",
    "parse_response",
    "parse_urlencoded",
    "resolve_response_type",
    "response_headers",
]

logger = logging.getLogger("imlconnect.http")

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

_RANGE_KEY = re.compile(r"^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?$")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)

#: Response headers of which Node.js keeps only the first line (`IncomingMessage.headers`).
SINGLE_VALUE_HEADERS = frozenset(
    {
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    }
)


# --- headers -------------------------------------------------------------------------------


class ResponseHeaders(dict[str, "str | list[str]"]):
    """The `headers` variable: keys are lower-case, and lookups ignore the case of the name.

    Specs read `headers.`Content-Type`` or `headers['X-Rate-Limit']` as often as the lower-case
    form, so every read lower-cases the name first.
    """

    def __getitem__(self, key: str) -> str | list[str]:
        return super().__getitem__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        return super().get(key.lower() if isinstance(key, str) else key, default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)


def response_headers(headers: list[tuple[str, str]]) -> ResponseHeaders:
    """Merge response header lines into the `headers` variable, as Node.js's `message.headers`.

    Names are lower-cased. `set-cookie` is always a list of its lines. For the headers in
    `SINGLE_VALUE_HEADERS` the first line wins. Repeated `cookie` lines are joined with `; ` and
    every other repeated header with `, `.
    """
    merged = ResponseHeaders()
    for raw_name, value in headers:
        name = raw_name.lower()
        existing = merged.get(name)
        if name == "set-cookie":
            if isinstance(existing, list):
                existing.append(value)
            else:
                merged[name] = [value]
            continue
        if existing is None:
            merged[name] = value
        elif name in SINGLE_VALUE_HEADERS:
            continue
        elif name == "cookie":
            merged[name] = f"{existing}; {value}"
        else:
            merged[name] = f"{existing}, {value}"
    return merged


# --- type resolution -----------------------------------------------------------------------


def _normalize_type(name: str, status: int) -> str:
    normalized = name.strip().lower()
    if normalized not in RESPONSE_TYPES:
        raise ResponseParseError(
            name,
            status,
            f"the response type '{name}' is not supported; use one of {', '.join(RESPONSE_TYPES)}",
        )
    return normalized


def resolve_response_type(response_type: str | Mapping[str, Any] | None, status: int) -> str:
    """Pick the response type that applies to `status`.

    A string applies to every status. In a mapping the keys are `*` (1-999), `NNN` or
    `NNN-NNN`, and the narrowest range that contains the status wins (the first written on a
    tie). None, or no matching key, gives `automatic`. Keys of another form are ignored.
    Raises ResponseParseError for a type name that is not one of `RESPONSE_TYPES`.
    """
    if response_type is None:
        return "automatic"
    if isinstance(response_type, str):
        return _normalize_type(response_type, status)

    best: tuple[int, str] | None = None
    for key, value in response_type.items():
        if key.strip() == "*":
            low, high = 1, 999
        else:
            match = _RANGE_KEY.match(key)
            if match is None:
                logger.debug("response type key %r is not '*', 'NNN' or 'NNN-NNN'; ignored", key)
                continue
            low = int(match.group(1))
            high = int(match.group(2) or low)
        if not low <= status <= high or not isinstance(value, str):
            continue
        width = high - low
        if best is None or width < best[0]:
            best = (width, value)
    return "automatic" if best is None else _normalize_type(best[1], status)


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """Split a Content-Type header into its lower-case media type and its parameters."""
    if not value:
        return "", {}
    media_type, *pieces = value.split(";")
    params: dict[str, str] = {}
    for piece in pieces:
        key, equals, text = piece.partition("=")
        if equals:
            params[key.strip().lower()] = text.strip().strip('"')
    return media_type.strip().lower(), params


def automatic_type(content_type: str | None) -> str:
    """Map a Content-Type to the response type that `automatic` applies."""
    media_type, _ = parse_content_type(content_type)
    if media_type in ("application/json", "text/json") or media_type.endswith("+json"):
        return "json"
    if media_type == "application/x-www-form-urlencoded":
        return "urlencoded"
    if media_type in ("application/xml", "text/xml") or media_type.endswith("+xml"):
        return "xml"
    if media_type.startswith("text/"):
        return "text"
    return "binary"


def charset_of(content_type: str | None) -> str | None:
    """Return the charset named in a Content-Type header if Python supports it, else None."""
    charset = parse_content_type(content_type)[1].get("charset")
    if not charset:
        return None
    return text_codec(charset)


def decode_text(body: bytes, charset: str | None) -> str:
    """Decode body bytes with `charset` (UTF-8 when None); undecodable bytes become U+FFFD."""
    return body.decode(charset or "utf-8", errors="replace")


# --- json ----------------------------------------------------------------------------------


def _json_int(text: str) -> int | float:
    # JavaScript numbers are doubles, so integers beyond 2**53 - 1 lose precision as floats do.
    if len(text.lstrip("-")) > 16:
        return float(text)
    number = int(text)
    return number if abs(number) <= MAX_SAFE_INTEGER else float(number)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not a JSON value")


def _check_json_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                raise ValueError(f"nesting is deeper than {max_depth} levels")
        elif token in ("]", "}"):
            depth -= 1


def parse_json(text: str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Value:
    """Parse JSON text as JavaScript's `JSON.parse` does.

    A leading byte order mark is skipped. Numbers are JavaScript numbers (integers beyond
    2**53 - 1 become floats), a repeated key keeps its last value, and `NaN` or `Infinity` are
    rejected. Raises ValueError with the parser's reason, also for nesting deeper than
    `max_depth`.
    """
    text = text.removeprefix("\ufeff")
    _check_json_depth(text, max_depth)
    try:
        return json.loads(text, parse_int=_json_int, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(f"nesting is deeper than {max_depth} levels") from None


# --- urlencoded ----------------------------------------------------------------------------


def parse_urlencoded(text: str) -> dict[str, Value]:
    """Parse `a=1&b=2` into a collection, as Node.js's `querystring.parse` does.

    `+` is a space, escapes decode as UTF-8, a pair without `=` has the value `""`, empty pairs
    are skipped and a repeated key collects its values in a list. Bracket keys such as `a[b]`
    are kept as written, not nested.
    """
    result: dict[str, Value] = {}
    for pair in text.split("&"):
        if pair == "":
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = unquote_plus(raw_key, errors="replace")
        value = unquote_plus(raw_value, errors="replace")
        existing = result.get(key)
        if existing is None:
            result[key] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            result[key] = [existing, value]
    return result


# --- dispatch ------------------------------------------------------------------------------


def _decode_body(kind: str, response: WireResponse, charset: str | None, max_depth: int) -> Value:
    body = response.body
    if kind == "binary":
        return body
    if kind == "xml":
        return parse_xml(body, charset=charset, max_depth=max_depth, status=response.status)
    text = decode_text(body, charset)
    if kind == "json":
        try:
            return parse_json(text, max_depth=max_depth)
        except ValueError as error:
            raise ResponseParseError("json", response.status, str(error)) from None
    if kind == "urlencoded":
        return parse_urlencoded(text)
    return text


def parse_response(
    response: WireResponse,
    response_type: str | Mapping[str, Any] | None,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> ParsedResponse:
    """Decode a response for IML: the body for its resolved type, plus the merged headers.

    `response_type` is the `response.type` directive (see `resolve_response_type`). An empty
    body is undefined whatever the type. Raises ResponseParseError with the type, the status
    and the parser's reason when the body does not parse; `max_depth` bounds the nesting of
    JSON and XML.
    """
    kind = resolve_response_type(response_type, response.status)
    content_types = response.header_values("content-type")
    content_type = content_types[0] if content_types else None
    if kind == "automatic":
        kind = automatic_type(content_type)
    headers = response_headers(response.headers)
    if response.body == b"":
        return ParsedResponse(body=UNDEFINED, headers=headers, status=response.status, type=kind)

    body = _decode_body(kind, response, charset_of(content_type), max_depth)
    return ParsedResponse(body=body, headers=headers, status=response.status, type=kind)
