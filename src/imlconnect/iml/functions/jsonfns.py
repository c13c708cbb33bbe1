"""JSON functions: parseJSON and createJSON, with JavaScript's JSON.parse / JSON.stringify rules."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime

from ..values import (
    UNDEFINED,
    Value,
    date_to_iso,
    is_nullish,
    is_number,
    js_number_to_string,
    normalize_number,
)
from .coerce import CallLike, check_text, fail, wrong_type
from .registry import BUILTINS

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


@BUILTINS.register("parseJSON", min_args=1, max_args=1)
def parse_json(call: CallLike, text: Value) -> Value:
    """Parse JSON text into IML values. Invalid JSON raises an error with the parser's reason.

    Numbers become JavaScript numbers: integral values are ints, and integers beyond 2**53
    lose precision as in JavaScript. `NaN` and `Infinity` are rejected. Undefined and null
    are returned unchanged.
    """
    if is_nullish(text):
        return text
    if isinstance(text, (bytes, bytearray)):
        source = bytes(text).decode("utf-8", "replace")
    elif isinstance(text, str):
        source = text
    else:
        wrong_type(call, 1, text, "JSON text")
    if source.startswith("\ufeff"):
        fail(call, "argument 1 is not valid JSON: it starts with a byte order mark.")
    try:
        return json.loads(
            source,
            parse_int=lambda digits: normalize_number(int(digits)),
            parse_float=lambda digits: normalize_number(float(digits)),
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as error:
        fail(call, f"argument 1 is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}.")
    except ValueError as error:
        fail(call, f"argument 1 is not valid JSON: {error}.")
    except RecursionError:
        fail(call, "argument 1 is JSON nested too deeply to parse.")


def _quote(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    if _LONE_SURROGATE.search(quoted):
        quoted = _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", quoted)
    return quoted


def to_json_text(value: Value) -> str | None:
    """Serialise a value as compact JSON the way JSON.stringify does. None for undefined.

    Dates become ISO 8601 text, binary data Node's `{"type":"Buffer","data":[...]}`, keys
    with undefined values are left out, and undefined array items become null.
    """
    if value is UNDEFINED:
        return None
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            return "null"
        return js_number_to_string(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, datetime):
        return _quote(date_to_iso(value))
    if isinstance(value, (bytes, bytearray)):
        return '{"type":"Buffer","data":[' + ",".join(str(byte) for byte in bytes(value)) + "]}"
    if isinstance(value, list):
        parts = []
        for item in value:
            encoded = to_json_text(item)
            parts.append("null" if encoded is None else encoded)
        return "[" + ",".join(parts) + "]"
    if isinstance(value, dict):
        members = []
        for key, item in value.items():
            encoded = to_json_text(item)
            if encoded is not None:
                members.append(f"{_quote(str(key))}:{encoded}")
        return "{" + ",".join(members) + "}"
    return _quote(str(value))


@BUILTINS.register("createJSON", min_args=1, max_args=1)
def create_json(call: CallLike, value: Value) -> Value:
    """Serialise a value as compact JSON text, as JSON.stringify. Undefined stays undefined."""
    try:
        encoded = to_json_text(value)
    except RecursionError:
        fail(call, "argument 1 is nested too deeply to serialise.")
    if encoded is None:
        return UNDEFINED
    return check_text(call, encoded)
