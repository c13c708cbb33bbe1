"""Coercion of text values (from `--param NAME=VALUE`, the environment or a prompt) to field types.

Numbers accept decimal literals only: an optional minus sign, digits and an optional fraction,
with surrounding white space trimmed. `1e3`, `0x10`, `3,5`, `1_000`, `Infinity` and `NaN` are
rejected, as the coercion of newer make-forman-schema versions does. Booleans accept `true` and
`false` in any case. Arrays and collections are JSON text. A select value is matched against the
option values by their text, so `--param region=1` picks an option whose value is the number 1.
Text-like types keep the text unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

from imlconnect.errors import ParametersError
from imlconnect.iml.values import normalize_number, to_string
from imlconnect.params import messages
from imlconnect.params.fields import BOOLEAN_TYPES, NUMBER_TYPES, SELECT_TYPES, Field

_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


class CoercionError(ParametersError):
    """A text value cannot be converted to its field's type. `message` is the problem text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_decimal(text: str) -> int | float | None:
    """Parse a decimal literal into an int (when whole) or float; None when it is not one."""
    candidate = text.strip()
    if not _DECIMAL.fullmatch(candidate):
        return None
    if "." not in candidate:
        return normalize_number(int(candidate))
    return normalize_number(float(candidate))


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _INVALID


_INVALID = object()


def _match_option(field: Field, text: str) -> Any:
    """Return the option value whose text is `text`, preferring an exact string match."""
    if field.options is None:
        return text
    for option in field.options.options:
        if isinstance(option.value, str) and option.value == text:
            return text
    for option in field.options.options:
        if not isinstance(option.value, (dict, list)) and to_string(option.value) == text:
            return option.value
    return text


def coerce_text(field: Field, text: str) -> Any:
    """Convert a non-empty text value to the type of `field`.

    Raises CoercionError with a message in the form engine's style when the text does not
    hold a value of that type. The message leaves out the text for secret fields.
    """
    kind = field.type
    secret = field.is_secret
    if kind in NUMBER_TYPES:
        number = parse_decimal(text)
        if number is None:
            raise CoercionError(messages.not_a_number(text, secret=secret))
        return number
    if kind in BOOLEAN_TYPES:
        word = text.strip().lower()
        if word in ("true", "false"):
            return word == "true"
        raise CoercionError(messages.not_a_boolean(text, secret=secret))
    if kind in ("array", "filter", "filestorage"):
        parsed = _parse_json(text)
        if not isinstance(parsed, list):
            raise CoercionError(messages.not_json_array(text, secret=secret))
        return parsed
    if kind == "collection":
        parsed = _parse_json(text)
        if not isinstance(parsed, dict):
            raise CoercionError(messages.not_json_object(text, secret=secret))
        return parsed
    if kind in SELECT_TYPES:
        if not field.multiple:
            return _match_option(field, text)
        if text.lstrip().startswith("["):
            parsed = _parse_json(text)
            if not isinstance(parsed, list):
                raise CoercionError(messages.not_json_array(text, secret=secret))
            return [_match_option(field, item) if isinstance(item, str) else item for item in parsed]
        # A single value without brackets selects one option.
        return [_match_option(field, text)]
    return text
