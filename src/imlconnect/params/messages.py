"""Message strings for parameter problems.

Messages about values follow the wording of Make's form engine (short sentences such as
"Field is mandatory."), so that a user who knows Make recognises them. Messages about the spec
name the key or type that is wrong and what to write instead. No message ever contains the value
of a secret field: callers pass `secret=True` and the value is left out.
"""

from __future__ import annotations

import json
from typing import Any

from imlconnect.iml.values import UNDEFINED, js_number_to_string

#: Maximum length of a value quoted in a message. Longer values are cut with an ellipsis.
MAX_QUOTED_LENGTH = 60


def quote_value(value: Any) -> str:
    """Render a value for a message: text as typed, other JSON as JSON, cut to a short excerpt."""
    if isinstance(value, str):
        text = value
    elif value is UNDEFINED:
        text = "undefined"
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, (int, float)):
        text = js_number_to_string(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    if len(text) > MAX_QUOTED_LENGTH:
        text = text[: MAX_QUOTED_LENGTH - 1] + "…"
    return text


def format_number(number: float) -> str:
    return js_number_to_string(number)


# --- values: the form engine's own wording ---------------------------------------------------

MANDATORY = "Field is mandatory."
IML_PROHIBITED = "Value contains prohibited IML expression."
NOT_AN_ARRAY = "Value is not an array."


def expected_type(expected: str, actual: str) -> str:
    return f"Expected type '{expected}', got type '{actual}'."


def too_short(minimum: float) -> str:
    return f"Value must be at least {format_number(minimum)} characters long."


def too_long(maximum: float) -> str:
    return f"Value exceeded maximum length of {format_number(maximum)} characters."


def too_small(minimum: float) -> str:
    return f"Value is too small. Minimum value is {format_number(minimum)}."


def too_big(maximum: float) -> str:
    return f"Value is too big. Maximum value is {format_number(maximum)}."


def pattern_mismatch(pattern_text: str) -> str:
    return f"Value doesn't match the pattern: {pattern_text}"


def not_in_enum(allowed: list[Any]) -> str:
    return "Value must be one of the following: " + ", ".join(quote_value(item) for item in allowed)


def not_in_options(value: Any, *, secret: bool = False) -> str:
    if secret:
        return "Value not found in options."
    return f"Value '{quote_value(value)}' not found in options."


def too_few_items(minimum: int) -> str:
    return f"Array has less than {minimum} items."


def too_many_items(maximum: int) -> str:
    return f"Array has more than {maximum} items."


def too_few_selected(minimum: int) -> str:
    return f"Selected less than {minimum} items."


def too_many_selected(maximum: int) -> str:
    return f"Selected more than {maximum} items."


def unknown_value_key(name: str) -> str:
    return f"Unknown field '{name}'. It is not in the parameters spec and is passed on unchanged."


# --- values: checks beyond Make's form engine ------------------------------------------------


def _subject(value: Any, secret: bool) -> str:
    return "Value" if secret else f"Value '{quote_value(value)}'"


def not_a_number(value: Any, *, secret: bool = False) -> str:
    return f"{_subject(value, secret)} is not a number."


def not_a_boolean(value: Any, *, secret: bool = False) -> str:
    return f"{_subject(value, secret)} is not a boolean. Use true or false."


def not_json_array(value: Any, *, secret: bool = False) -> str:
    return f'{_subject(value, secret)} is not a JSON array. Write the items as JSON, for example ["a", "b"].'


def not_json_object(value: Any, *, secret: bool = False) -> str:
    return f'{_subject(value, secret)} is not a JSON object. Write the collection as JSON, for example {{"key": "value"}}.'


def not_json_text(value: Any, *, secret: bool = False) -> str:
    return f"{_subject(value, secret)} is not valid JSON."


def not_whole_number(value: Any) -> str:
    return f"Value '{quote_value(value)}' is not a whole number."


def negative_number(value: Any) -> str:
    return f"Value '{quote_value(value)}' is negative. Use a whole number of 0 or more."


def port_out_of_range(value: Any) -> str:
    return f"Value '{quote_value(value)}' is not a valid port. Use a whole number from 1 to 65535."


def invalid_email(value: Any) -> str:
    return f"Value '{quote_value(value)}' is not a valid email address."


def invalid_url(value: Any) -> str:
    return f"Value '{quote_value(value)}' is not a valid URL. Use an http:// or https:// address with a host name."


def unknown_timezone(value: Any) -> str:
    return f"Value '{quote_value(value)}' is not a known time zone. Use an IANA name such as Europe/Prague."


def invalid_date(value: Any) -> str:
    return (
        f"Value '{quote_value(value)}' is not a valid date. "
        "Use ISO 8601, for example 2024-05-01 or 2024-05-01T10:00:00Z."
    )


def invalid_time(value: Any) -> str:
    return f"Value '{quote_value(value)}' is not a valid time. Use hh:mm, hh:mm:ss or hh:mm:ss.sss."


def invalid_timestamp(value: Any) -> str:
    return (
        f"Value '{quote_value(value)}' is not a valid timestamp. "
        "Use Unix seconds or an ISO 8601 date and time."
    )


NOT_A_CERTIFICATE = (
    "Value is not a PEM certificate. It must contain a -----BEGIN CERTIFICATE----- line, "
    "base64 text and an -----END CERTIFICATE----- line."
)
NOT_A_PRIVATE_KEY = (
    "Value is not a PEM private key. It must contain a -----BEGIN PRIVATE KEY----- line "
    "(or RSA, EC, DSA, ENCRYPTED or OPENSSH PRIVATE KEY), base64 text and the matching END line."
)
JSON_EXPECTED = "Expected valid JSON text or a collection."


# --- spec checks -----------------------------------------------------------------------------


def did_you_mean(suggestion: str | None) -> str:
    return f" Did you mean '{suggestion}'?" if suggestion else ""


def unknown_key(key: str, suggestion: str | None) -> str:
    return f"Unknown key '{key}'.{did_you_mean(suggestion)}"


def unknown_type(type_name: str, suggestion: str | None) -> str:
    hint = did_you_mean(suggestion) or " See the list of field types in Make's parameter docs."
    return f"Unknown field type '{type_name}'.{hint}"


def wrong_key_type(key: str, expected: str, actual: str) -> str:
    return f"Key '{key}' must be {expected}, got {actual}."
