"""Request body encoders, one per request `type`.

Every encoder turns an IML value into bytes plus the Content-Type it implies:

| type | bytes | Content-Type |
| --- | --- | --- |
| `json` (default) | a string or bytes as they are, anything else as `JSON.stringify` writes it | `application/json` |
| `urlencoded` | objects and arrays as `qs.stringify`, a string or bytes as they are | `application/x-www-form-urlencoded` |
| `multipart/form-data` | one part per field (see `encode_multipart`) | `multipart/form-data; boundary=...` |
| `text`, `string`, `raw` | a string as UTF-8, bytes as they are, anything else as JSON text | `text/plain; charset=utf-8` |
| `binary` | bytes as they are, a string as UTF-8, anything else as JSON text | `application/octet-stream` |

A string body under `json` is sent unchanged rather than quoted, because apps build JSON text by
hand (`"body": "{{parameters.body}}"` with a JSON string) and expect it to arrive as written.
`text`, `string` and `raw` are aliases of one another.

NOTE: Make's documentation does not say which Content-Type it sends for `text`, `string` and
`raw`; `text/plain; charset=utf-8` is this engine's choice. A Content-Type header in the spec wins.
"""

from __future__ import annotations

import json
import math
import mimetypes
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from ..iml.values import UNDEFINED, Value, date_to_iso, js_number_to_string, to_string, type_name
from . import qs
from .models import RequestBuildError
from .urls import without_lone_surrogates

BODY_TYPES: tuple[str, ...] = ("json", "urlencoded", "multipart/form-data", "text", "string", "raw", "binary")

JSON_CONTENT_TYPE = "application/json"
URLENCODED_CONTENT_TYPE = "application/x-www-form-urlencoded"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
BINARY_CONTENT_TYPE = "application/octet-stream"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_HEADER_BREAK = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True)
class EncodedBody:
    """Body bytes and the Content-Type header value they imply (None: send no Content-Type)."""

    content: bytes
    content_type: str | None


# --- JSON ----------------------------------------------------------------------------------


def _json_string(text: str) -> str:
    # json.dumps escapes exactly what JSON.stringify escapes (quote, backslash, C0 controls),
    # except unpaired surrogates, which JavaScript writes as \uXXXX escapes.
    encoded = json.dumps(text, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", encoded)


def _json_text(value: Value) -> str:
    if value is None or value is UNDEFINED:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "null"
        return js_number_to_string(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, datetime):
        return _json_string(date_to_iso(value))
    if isinstance(value, (bytes, bytearray)):
        # Node.js serializes a Buffer through Buffer.prototype.toJSON.
        data = ",".join(str(byte) for byte in bytes(value))
        return f'{{"type":"Buffer","data":[{data}]}}'
    if isinstance(value, list):
        return "[" + ",".join(_json_text(item) for item in value) + "]"
    if isinstance(value, dict):
        members = [
            f"{_json_string(str(key))}:{_json_text(item)}"
            for key, item in value.items()
            if item is not UNDEFINED
        ]
        return "{" + ",".join(members) + "}"
    return _json_string(to_string(value))


def to_json_text(value: Value) -> str:
    """Serialize an IML value as JavaScript's `JSON.stringify(value)` does, without spaces.

    Object keys whose value is undefined are dropped, undefined array items and non-finite
    numbers become `null`, dates become ISO 8601 strings and bytes become Node.js's
    `{"type":"Buffer","data":[...]}`. Raises RequestBuildError when nesting exceeds Python's
    recursion limit.
    """
    try:
        return _json_text(value)
    except RecursionError as error:
        raise RequestBuildError("The request body is nested too deeply to be encoded as JSON") from error


def encode_json(value: Value) -> bytes:
    """Encode a `json` body: a string or bytes unchanged, anything else as JSON text in UTF-8."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return _utf8(value)
    return _utf8(to_json_text(value))


def _utf8(text: str) -> bytes:
    return without_lone_surrogates(text).encode("utf-8")


# --- urlencoded, text, binary --------------------------------------------------------------


def encode_urlencoded(value: Value) -> bytes:
    """Encode a `urlencoded` body: objects and arrays with `qs.stringify`, text and bytes as is."""
    if isinstance(value, (dict, list)):
        return qs.stringify(value).encode("ascii")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return _utf8(to_string(value))


def encode_text(value: Value) -> bytes:
    """Encode a `text`, `string` or `raw` body: text as UTF-8, bytes as is, the rest as JSON text."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return _utf8(value)
    return _utf8(to_json_text(value))


def encode_binary(value: Value) -> bytes:
    """Encode a `binary` body: bytes as is, text as UTF-8, anything else as JSON text."""
    return encode_text(value)


# --- multipart/form-data -------------------------------------------------------------------


def new_boundary() -> str:
    """Return a random multipart boundary (about 128 bits of randomness)."""
    return "----imlconnect" + secrets.token_hex(16)


def _quote_disposition(text: str) -> str:
    # The HTML form encoding rule for names and file names in Content-Disposition.
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


@dataclass(frozen=True)
class _Part:
    name: str
    content: bytes
    filename: str | None = None
    content_type: str | None = None


def _file_part(name: str, spec: dict[str, Value]) -> _Part | None:
    value = spec.get("value", UNDEFINED)
    options = spec.get("options")
    if isinstance(options, str):
        options = {"filename": options}
    if not isinstance(options, dict):
        options = {}
    if value is UNDEFINED or value is None:
        return None

    filename_value = options.get("filename", UNDEFINED)
    filename = None if filename_value in (UNDEFINED, None) else to_string(filename_value)
    content_type_value = options.get("contentType", UNDEFINED)
    content_type = None if content_type_value in (UNDEFINED, None) else to_string(content_type_value)

    is_bytes = isinstance(value, (bytes, bytearray))
    content = bytes(value) if is_bytes else _utf8(to_string(value))
    if content_type is None and filename:
        content_type = mimetypes.guess_type(filename, strict=False)[0]
    if content_type is None and is_bytes:
        content_type = BINARY_CONTENT_TYPE
    if content_type is not None and _HEADER_BREAK.search(content_type):
        raise RequestBuildError(
            f"The multipart field '{name}' has a contentType with a line break; remove it"
        )
    return _Part(name=name, content=content, filename=filename, content_type=content_type)


def _field_part(name: str, value: Value) -> _Part | None:
    if value is UNDEFINED or value is None:
        return None
    if isinstance(value, dict):
        if "value" in value and "options" in value:
            return _file_part(name, value)
        raise RequestBuildError(
            f"The multipart field '{name}' is a collection; send a file as "
            "{value, options: {filename, contentType}} or map a text value"
        )
    if isinstance(value, (bytes, bytearray)):
        return _Part(name=name, content=bytes(value), content_type=BINARY_CONTENT_TYPE)
    return _Part(name=name, content=_utf8(to_string(value)))


def _multipart_parts(value: Value) -> list[_Part]:
    if not isinstance(value, dict):
        raise RequestBuildError(
            f"A multipart/form-data body must be a collection of fields, not {type_name(value)}"
        )
    parts: list[_Part] = []
    for key, item in value.items():
        name = str(key)
        items = item if isinstance(item, list) else [item]
        for element in items:
            part = _field_part(name, element)
            if part is not None:
                parts.append(part)
    return parts


def encode_multipart(value: Value, boundary: str) -> bytes:
    """Encode a `multipart/form-data` body.

    Each key of the collection is a field and an array repeats the field. Bytes, or a collection
    `{value, options: {filename, contentType}}`, make a file part: its Content-Type is
    `contentType`, else guessed from `filename` by extension, else `application/octet-stream` for
    bytes. Other values are sent as their `toString()` text. Undefined and null fields are
    skipped. Raises RequestBuildError when the body is not a collection or a field is a
    collection that does not describe a file.
    """
    return _assemble(_multipart_parts(value), boundary)


def _assemble(parts: list[_Part], boundary: str) -> bytes:
    dash = f"--{boundary}".encode("ascii")
    chunks: list[bytes] = []
    for part in parts:
        disposition = f'form-data; name="{_quote_disposition(part.name)}"'
        if part.filename is not None:
            disposition += f'; filename="{_quote_disposition(part.filename)}"'
        head = f"Content-Disposition: {disposition}\r\n"
        if part.content_type is not None:
            head += f"Content-Type: {part.content_type}\r\n"
        chunks.append(dash + b"\r\n" + _utf8(head) + b"\r\n" + part.content + b"\r\n")
    chunks.append(dash + b"--\r\n")
    return b"".join(chunks)


def _multipart_body(value: Value) -> EncodedBody:
    parts = _multipart_parts(value)
    # The boundary must not occur inside any part. With 128 random bits that happens only for
    # content crafted to contain it, so drawing again is enough.
    while True:
        boundary = new_boundary()
        marker = boundary.encode("ascii")
        if not any(
            marker in part.content or marker in _utf8(part.name + (part.filename or "")) for part in parts
        ):
            return EncodedBody(_assemble(parts, boundary), f"multipart/form-data; boundary={boundary}")


# --- dispatch ------------------------------------------------------------------------------


def normalize_body_type(body_type: str | None) -> str:
    """Return the canonical request type name; None means `json`.

    Raises RequestBuildError for a type that is not one of `BODY_TYPES`.
    """
    if body_type is None:
        return "json"
    name = body_type.strip().lower()
    if name not in BODY_TYPES:
        raise RequestBuildError(
            f"The request type '{body_type}' is not supported; use one of {', '.join(BODY_TYPES)}"
        )
    return name


def encode_body(value: Value, body_type: str | None = "json", *, boundary: str | None = None) -> EncodedBody:
    """Encode a request body for the given request `type` (see the module table).

    `boundary` fixes the multipart boundary (for tests); by default a random one is drawn.
    """
    name = normalize_body_type(body_type)
    if name == "json":
        return EncodedBody(encode_json(value), JSON_CONTENT_TYPE)
    if name == "urlencoded":
        return EncodedBody(encode_urlencoded(value), URLENCODED_CONTENT_TYPE)
    if name == "multipart/form-data":
        if boundary is not None:
            return EncodedBody(encode_multipart(value, boundary), f"multipart/form-data; boundary={boundary}")
        return _multipart_body(value)
    if name == "binary":
        return EncodedBody(encode_binary(value), BINARY_CONTENT_TYPE)
    return EncodedBody(encode_text(value), TEXT_CONTENT_TYPE)
