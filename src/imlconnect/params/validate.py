"""Validation of the values a user supplies for a connection's parameters.

The rules follow Make's form engine as its open-source reimplementation (make-forman-schema)
does, with these decisions where sources disagree or are silent:

- An absent field with a default (anything but `null` and `""`) takes the default before its
  nested fields are armed. An explicit `null` or `""` is kept and fails when the field is required.
- Boolean nested fields are active only when the value is true (false with `reversedNested`).
- `required` inside array items is enforced.
- Select values match options with strict equality, so `"1"` does not match `1`.
- IML in any value is rejected, because connection values are static.
- Beyond Make's type checks: email, url, integer, uinteger, port, timezone, cert, pkey, date,
  time, timestamp and json values are checked for their format.
- Keys that match no field are kept in the normalized values and reported as warnings (Make
  ignores them).

Value paths use dots between names and 1-based array positions, as IML does:
`parameters.headers[2].value`.
"""

from __future__ import annotations

import json
import math
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import re2

from imlconnect.errors import Problem, SpecError
from imlconnect.iml.values import UNDEFINED, is_number, to_string, type_name
from imlconnect.params import messages
from imlconnect.params.coerce import CoercionError, coerce_text
from imlconnect.params.fields import (
    BOOLEAN_TYPES,
    NUMBER_TYPES,
    SELECT_TYPES,
    STRING_TYPES,
    UNCHECKED_TYPES,
    Field,
    NestedFields,
    Option,
    ParameterSpec,
    strict_equal,
)

ValueSource = Literal["json", "text"]

# =============================================================================================
# JavaScript regular expressions on RE2
# =============================================================================================


class PatternError(SpecError):
    """A `validate.pattern` is not a valid JavaScript regular expression, or RE2 cannot run it.

    `unsupported` is True when the pattern is valid JavaScript but uses a feature RE2 lacks
    (lookaround, backreferences), so values cannot be checked against it safely.
    """

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


# JavaScript's \s: ASCII white space plus the Unicode space separators, line separators and BOM.
_JS_SPACE_MEMBERS = (
    r"\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"
)
# JavaScript's `.` without the s flag matches anything except these four line terminators.
_JS_DOT = r"[^\n\r\x{2028}\x{2029}]"
_MATCH_NOTHING = r"[^\x{0}-\x{10FFFF}]"
_MATCH_ANYTHING = r"[\x{0}-\x{10FFFF}]"
_QUANTIFIER = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")
_GROUP_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


def _literal(codepoint: int) -> str:
    return f"\\x{{{codepoint:X}}}"


def _count_capture_groups(source: str) -> tuple[int, bool]:
    """Count capturing groups and report whether any is named, skipping escapes and classes."""
    count = 0
    named = False
    index = 0
    in_class = False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            if not source.startswith("(?", index):
                count += 1
            elif source.startswith("(?<", index) and source[index + 3 : index + 4] not in ("=", "!"):
                count += 1
                named = True
        index += 1
    return count, named


class _JsPatternTranslator:
    """Translate the source of a JavaScript regular expression (no flags) into RE2 syntax.

    Raises PatternError for JavaScript syntax errors, with messages close to V8's, and for
    features RE2 cannot run.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0
        self.output: list[str] = []
        self.group_count, self.has_named_groups = _count_capture_groups(source)

    def fail(self, reason: str) -> PatternError:
        return PatternError(f"Invalid regular expression /{self.source}/: {reason}.")

    def unsupported(self, feature: str) -> PatternError:
        return PatternError(
            f"The pattern uses {feature}, which the safe regular expression engine (RE2) cannot run; "
            "values are not checked against this pattern.",
            unsupported=True,
        )

    def translate(self) -> str:
        source = self.source
        depth = 0
        can_repeat = False
        while self.index < len(source):
            char = source[self.index]
            if char == "\\":
                atom, can_repeat = self.escape_outside_class()
                self.output.append(atom)
            elif char == "[":
                self.output.append(self.character_class())
                can_repeat = True
            elif char == "(":
                self.output.append(self.group_opening())
                depth += 1
                can_repeat = False
            elif char == ")":
                if depth == 0:
                    raise self.fail("Unmatched ')'")
                depth -= 1
                self.output.append(")")
                self.index += 1
                can_repeat = True
            elif char in "*+?":
                if not can_repeat:
                    raise self.fail("Nothing to repeat")
                self.output.append(char)
                self.index += 1
                self.lazy_suffix()
                can_repeat = False
            elif char == "{":
                match = _QUANTIFIER.match(source, self.index)
                if match is None:
                    self.output.append("\\{")
                    self.index += 1
                    can_repeat = True
                    continue
                if not can_repeat:
                    raise self.fail("Nothing to repeat")
                low = int(match.group(1))
                high = match.group(3)
                if high and int(high) < low:
                    raise self.fail("numbers out of order in {} quantifier")
                self.output.append(match.group(0))
                self.index = match.end()
                self.lazy_suffix()
                can_repeat = False
            elif char in "}]":
                self.output.append("\\" + char)
                self.index += 1
                can_repeat = True
            elif char == ".":
                self.output.append(_JS_DOT)
                self.index += 1
                can_repeat = True
            elif char in "^$|":
                self.output.append(char)
                self.index += 1
                can_repeat = False
            else:
                self.output.append(char if char.isalnum() or ord(char) > 127 else "\\" + char)
                self.index += 1
                can_repeat = True
        if depth:
            raise self.fail("Unterminated group")
        return "".join(self.output)

    def lazy_suffix(self) -> None:
        if self.source.startswith("?", self.index):
            self.output.append("?")
            self.index += 1

    def group_opening(self) -> str:
        source = self.source
        rest = source[self.index :]
        if rest.startswith("(?:"):
            self.index += 3
            return "(?:"
        if rest.startswith(("(?=", "(?!", "(?<=", "(?<!")):
            raise self.unsupported("a lookahead or lookbehind assertion")
        if rest.startswith("(?<"):
            match = _GROUP_NAME.match(source, self.index + 3)
            if match is None or not source.startswith(">", match.end()):
                raise self.fail("Invalid capture group name")
            self.index = match.end() + 1
            return f"(?P<{match.group(0)}>"
        if rest.startswith("(?"):
            raise self.fail("Invalid group")
        self.index += 1
        return "("

    def read_escape(self, *, in_class: bool) -> tuple[str, int | None]:
        """Read one escape at `self.index`. Return (RE2 text, code point or None for a set)."""
        source = self.source
        if self.index + 1 >= len(source):
            raise self.fail("\\ at end of pattern")
        char = source[self.index + 1]
        self.index += 2

        if char in "dDwW":
            return "\\" + char, None
        if char == "s":
            return (_JS_SPACE_MEMBERS if in_class else f"[{_JS_SPACE_MEMBERS}]"), None
        if char == "S":
            # NOTE: inside a class, RE2's ASCII \S replaces JavaScript's Unicode-aware one.
            return ("\\S" if in_class else f"[^{_JS_SPACE_MEMBERS}]"), None

        simple = {"n": 10, "r": 13, "t": 9, "f": 12, "v": 11}
        if char in simple:
            return _literal(simple[char]), simple[char]
        if char == "b" and in_class:
            return _literal(8), 8
        if char in "bB":
            return "\\" + char, None

        if char == "x":
            match = _HEX2.match(source, self.index)
            if match:
                self.index = match.end()
                codepoint = int(match.group(0), 16)
                return _literal(codepoint), codepoint
            return "x", ord("x")
        if char == "u":
            match = _HEX4.match(source, self.index)
            if match:
                self.index = match.end()
                codepoint = int(match.group(0), 16)
                return _literal(codepoint), codepoint
            return "u", ord("u")
        if char == "c":
            if self.index < len(source) and source[self.index].isascii() and source[self.index].isalpha():
                codepoint = ord(source[self.index]) % 32
                self.index += 1
                return _literal(codepoint), codepoint
            # JavaScript reads a lone `\c` as a backslash followed by `c`.
            self.index -= 1
            return _literal(ord("\\")), ord("\\")
        if char.isdigit():
            return self.numeric_escape(char, in_class=in_class)
        if char == "k" and self.has_named_groups and not in_class:
            raise self.unsupported("a named backreference")
        return _literal(ord(char)), ord(char)

    def numeric_escape(self, first: str, *, in_class: bool) -> tuple[str, int]:
        source = self.source
        if first != "0" and not in_class and self.group_count > 0:
            raise self.unsupported("a backreference")
        if first in "89":
            return _literal(ord(first)), ord(first)
        # A legacy octal escape: up to three octal digits, at most 0o377.
        digits = first
        while len(digits) < 3 and self.index < len(source) and source[self.index] in "01234567":
            if int(digits + source[self.index], 8) > 0o377:
                break
            digits += source[self.index]
            self.index += 1
        codepoint = int(digits, 8)
        return _literal(codepoint), codepoint

    def escape_outside_class(self) -> tuple[str, bool]:
        assertion = self.source[self.index + 1 : self.index + 2] in ("b", "B")
        text, _codepoint = self.read_escape(in_class=False)
        return text, not assertion

    def class_atom(self) -> tuple[str, int | None]:
        char = self.source[self.index]
        if char == "\\":
            return self.read_escape(in_class=True)
        self.index += 1
        return _literal(ord(char)), ord(char)

    def character_class(self) -> str:
        source = self.source
        self.index += 1
        negated = source.startswith("^", self.index)
        if negated:
            self.index += 1
        if source.startswith("]", self.index):
            self.index += 1
            return _MATCH_ANYTHING if negated else _MATCH_NOTHING
        parts: list[str] = []
        while True:
            if self.index >= len(source):
                raise self.fail("Unterminated character class")
            if source[self.index] == "]":
                self.index += 1
                break
            text, low = self.class_atom()
            is_range = (
                source.startswith("-", self.index)
                and self.index + 1 < len(source)
                and source[self.index + 1] != "]"
            )
            if not is_range:
                parts.append(text)
                continue
            self.index += 1
            high_text, high = self.class_atom()
            if low is None or high is None:
                # A class escape such as \d at either end makes the `-` a literal.
                parts.extend([text, _literal(ord("-")), high_text])
                continue
            if low > high:
                raise self.fail("Range out of order in character class")
            parts.append(f"{text}-{high_text}")
        return ("[^" if negated else "[") + "".join(parts) + "]"


@dataclass(frozen=True)
class JsPattern:
    """A JavaScript regular expression compiled for RE2, which runs in linear time.

    `search` has JavaScript's `RegExp.prototype.test` semantics: unanchored, `^` and `$` at the
    ends of the whole text, `.` not matching line terminators.
    """

    source: str
    translated: str
    regex: Any

    def search(self, text: str) -> bool:
        return self.regex.search(text) is not None


def compile_js_pattern(source: str) -> JsPattern:
    """Compile the source of a JavaScript regular expression (without flags) for RE2.

    Raises PatternError when the source is not valid JavaScript or RE2 cannot run it.
    """
    translated = _JsPatternTranslator(source).translate()
    options = re2.Options()
    options.log_errors = False
    try:
        regex = re2.compile(translated, options)
    except re2.error as error:
        reason = error.args[0] if error.args else str(error)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"The pattern cannot be compiled: {reason}.") from None
    return JsPattern(source=source, translated=translated, regex=regex)


# =============================================================================================
# Checks of one value
# =============================================================================================

_EMAIL = re.compile(r"[^\s@]+@[^\s@.]+(\.[^\s@.]+)+")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?")
_UNIX_SECONDS = re.compile(r"-?\d+(\.\d+)?")
_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN ((?:TRUSTED |X509 )?CERTIFICATE)-----\s+[A-Za-z0-9+/=\s]+?-----END \1-----"
)
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED |OPENSSH )?PRIVATE KEY)-----\s+"
    r"(?:[A-Za-z0-9-]+:[^\n]*\n)*\s*[A-Za-z0-9+/=\s]+?-----END \1-----"
)


def is_empty_value(value: Any) -> bool:
    """Return True for the values `required` rejects: undefined, null and "" (not 0, false or [])."""
    return value is UNDEFINED or value is None or (isinstance(value, str) and value == "")


def contains_iml(value: Any) -> bool:
    """Return True when a string, or any string inside a list or dict, contains both `{{` and `}}`."""
    if isinstance(value, str):
        return "{{" in value and "}}" in value
    if isinstance(value, list):
        return any(contains_iml(item) for item in value)
    if isinstance(value, dict):
        return any(contains_iml(item) for item in value.values())
    return False


def js_length(text: str) -> int:
    """Length of a string as JavaScript counts it, in UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _is_timezone(name: str) -> bool:
    if name in _iana_zones():
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name in ("UTC", "GMT")


def _is_iso_date(text: str) -> bool:
    candidate = text.strip()
    if len(candidate) < 10:
        return False
    try:
        if len(candidate) == 10:
            date.fromisoformat(candidate)
        else:
            datetime.fromisoformat(candidate)
    except ValueError:
        return False
    return True


def _is_http_url(text: str) -> bool:
    if text != text.strip() or any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
        _port = parts.port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(hostname)


def _expected_type_name(field: Field) -> str:
    if field.type in NUMBER_TYPES:
        return "number"
    if field.type in BOOLEAN_TYPES:
        return "boolean"
    if field.type in ("collection",):
        return "collection"
    if field.type in ("array", "filter", "filestorage"):
        return "array"
    return "text"


def check_type(field: Field, value: Any) -> str | None:
    """Return the type problem of a non-empty value, or None when its JSON type fits the field."""
    kind = field.type
    if kind in UNCHECKED_TYPES or kind in SELECT_TYPES:
        return None
    if kind == "json":
        return None if isinstance(value, (str, dict, list)) else messages.JSON_EXPECTED
    if kind == "timestamp":
        if isinstance(value, str) or is_number(value):
            return None
        return messages.expected_type("text", type_name(value))
    if kind in STRING_TYPES:
        ok = isinstance(value, str)
    elif kind in NUMBER_TYPES:
        ok = is_number(value) and not (isinstance(value, float) and not math.isfinite(value))
    elif kind in BOOLEAN_TYPES:
        ok = isinstance(value, bool)
    elif kind == "collection":
        ok = isinstance(value, dict)
    elif kind in ("array", "filter", "filestorage"):
        ok = isinstance(value, list)
    else:
        return None
    return None if ok else messages.expected_type(_expected_type_name(field), type_name(value))


def check_format(field: Field, value: Any) -> str | None:
    """Return the format problem of a value whose type already fits, or None.

    These checks go beyond Make's form engine: they catch values that Make's UI rejects or that
    cannot work (a port of 70000, a time zone that does not exist).
    """
    kind = field.type
    if kind == "integer" and not float(value).is_integer():
        return messages.not_whole_number(value)
    if kind == "uinteger":
        if not float(value).is_integer():
            return messages.not_whole_number(value)
        if value < 0:
            return messages.negative_number(value)
    if kind == "port" and (not float(value).is_integer() or not 1 <= value <= 65535):
        return messages.port_out_of_range(value)
    if kind == "email" and not _EMAIL.fullmatch(value):
        return messages.invalid_email(value)
    if kind == "url" and not _is_http_url(value):
        return messages.invalid_url(value)
    if kind == "timezone" and not _is_timezone(value):
        return messages.unknown_timezone(value)
    if kind == "cert" and not _PEM_CERTIFICATE.search(value):
        return messages.NOT_A_CERTIFICATE
    if kind == "pkey" and not _PEM_PRIVATE_KEY.search(value):
        return messages.NOT_A_PRIVATE_KEY
    if kind == "date" and not _is_iso_date(value):
        return messages.invalid_date(value)
    if kind == "time" and not _TIME.fullmatch(value):
        return messages.invalid_time(value)
    if (
        kind == "timestamp"
        and isinstance(value, str)
        and not (_UNIX_SECONDS.fullmatch(value.strip()) or _is_iso_date(value))
    ):
        return messages.invalid_timestamp(value)
    if kind == "json" and isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return messages.not_json_text(value, secret=False)
    return None


def check_rules(field: Field, value: Any) -> str | None:
    """Apply `validate.min`, `max`, `pattern` and `enum` as the form engine does.

    On text `min`/`max` bound the length (in UTF-16 code units, as JavaScript counts), on numbers
    they bound the value; other value types ignore these rules.
    """
    rules = field.rules
    if isinstance(value, str):
        if rules.min is not None and js_length(value) < rules.min:
            return messages.too_short(rules.min)
        if rules.max is not None and js_length(value) > rules.max:
            return messages.too_long(rules.max)
        if rules.pattern is not None and not rules.pattern.search(value):
            return messages.pattern_mismatch(rules.pattern_label or rules.pattern.source)
    elif is_number(value):
        if rules.min is not None and value < rules.min:
            return messages.too_small(rules.min)
        if rules.max is not None and value > rules.max:
            return messages.too_big(rules.max)
    if (
        rules.enum is not None
        and not isinstance(value, (list, dict))
        and not any(strict_equal(item, value) for item in rules.enum)
    ):
        return messages.not_in_enum(list(rules.enum))
    return None


def check_scalar(field: Field, value: Any) -> str | None:
    """Run the IML, type, format and rule checks on one non-empty value of a simple field.

    Returns the first problem message, or None. Selects, collections and arrays need the
    structure walk of `validate_values` and only get the IML and type checks here.
    """
    if contains_iml(value):
        return messages.IML_PROHIBITED
    problem = check_type(field, value)
    if problem is not None:
        return problem
    if field.type in SELECT_TYPES or field.type in ("collection", "array", "filter", "filestorage"):
        return None
    if field.type in UNCHECKED_TYPES:
        return None
    problem = check_format(field, value)
    if problem is not None:
        return problem
    return check_rules(field, value)


# =============================================================================================
# The walk over fields and values
# =============================================================================================


def join_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def hidden_default(value: Any) -> Any:
    """Convert a hidden field's default to text: JSON for lists and dicts, IML's toString otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return to_string(value)


def default_for(field: Field) -> Any:
    """Return the value an absent field takes, or UNDEFINED when it has no usable default."""
    if not field.has_default:
        return UNDEFINED
    if field.type == "hidden":
        return hidden_default(field.default)
    return field.default


def _usable(group: NestedFields | None) -> bool:
    return group is not None and group.domain in (None, "parameters")


def find_select_option(field: Field, value: Any) -> Option | None:
    if field.options is None:
        return None
    return field.options.find(value)


def active_nested(field: Field, value: Any) -> list[NestedFields]:
    """Return the nested field groups that a value of `field` activates.

    Boolean: the true branch for true (the false branch with `reversedNested`, or the `false`
    key of the two-branch form). Select: the chosen option's own nesting replaces the
    field-level and store-level nesting, and the placeholder's nesting applies to an empty value.
    Other types: nesting applies to any non-empty value.
    """
    groups: list[NestedFields | None] = []
    if field.type in BOOLEAN_TYPES:
        if value is True:
            groups.append(field.nested if not field.reversed_nested else None)
        elif value is False:
            groups.append(field.nested if field.reversed_nested else field.nested_when_false)
    elif field.type in SELECT_TYPES:
        options = field.options
        if is_empty_value(value) or (isinstance(value, list) and not value):
            if options is not None:
                groups.append(options.placeholder_nested)
        else:
            chosen = value if isinstance(value, list) and field.multiple else [value]
            base = field.nested or (options.nested if options is not None else None)
            for item in chosen:
                option = find_select_option(field, item)
                groups.append(option.nested if option is not None and option.nested is not None else base)
    elif not is_empty_value(value):
        groups.append(field.nested)
    unique: list[NestedFields] = []
    for group in groups:
        if _usable(group) and group not in unique:
            assert group is not None
            unique.append(group)
    return unique


def _all_nested_fields(field: Field) -> list[Field]:
    found: list[Field] = []
    for _condition, group in field.nested_groups():
        if not _usable(group):
            continue
        for child in group.fields:
            found.append(child)
            found.extend(_all_nested_fields(child))
    return found


class _Validation:
    """One run of `validate_values`: collects problems in walk order."""

    def __init__(self, source: ValueSource) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def report(self, path: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        self.problems.append(Problem(path=path, message=message, severity=severity))

    # --- one level: a dict of values against a list of fields -------------------------------

    def validate_level(
        self, fields: tuple[Field, ...], values: Mapping[str, Any], prefix: str, *, from_text: bool
    ) -> dict[str, Any]:
        result: dict[str, Any] = dict(values)
        handled: set[str] = set()
        for field in fields:
            self.validate_field(field, result, prefix, handled, from_text=from_text)

        known: set[str] = set(handled)
        for field in fields:
            if field.name:
                known.add(field.name)
            for nested_field in _all_nested_fields(field):
                if nested_field.name is None or nested_field.name in handled:
                    continue
                known.add(nested_field.name)
                if nested_field.name in result and not nested_field.is_display:
                    # Inactive nested fields are still checked when a value is present.
                    self.check_present_value(nested_field, result, prefix, handled, from_text=from_text)
        for field in fields:
            if field.is_display and field.name in result:
                del result[field.name]
        for key in values:
            if key not in known:
                self.report(join_path(prefix, key), messages.unknown_value_key(key), "warning")
        return result

    def check_present_value(
        self, field: Field, result: dict[str, Any], prefix: str, handled: set[str], *, from_text: bool
    ) -> None:
        assert field.name is not None
        handled.add(field.name)
        path = join_path(prefix, field.name)
        value = self.coerce(field, result[field.name], path, from_text=from_text)
        if value is UNDEFINED or is_empty_value(value):
            return
        result[field.name] = self.check_value(field, value, path)

    def coerce(self, field: Field, value: Any, path: str, *, from_text: bool) -> Any:
        """Coerce a text value to the field's type; report and return UNDEFINED on failure."""
        if not from_text or not isinstance(value, str) or value == "":
            return value
        try:
            return coerce_text(field, value)
        except CoercionError as error:
            self.report(path, error.message)
            return UNDEFINED

    def validate_field(
        self,
        field: Field,
        result: dict[str, Any],
        prefix: str,
        handled: set[str],
        *,
        from_text: bool,
    ) -> None:
        if field.is_display or not field.name or field.name in handled:
            return
        handled.add(field.name)
        path = join_path(prefix, field.name)

        if field.name in result:
            value = self.coerce(field, result[field.name], path, from_text=from_text)
            if value is UNDEFINED:
                # Coercion failed and was reported; arm nested fields from the raw text.
                for group in active_nested(field, result[field.name]):
                    for child in group.fields:
                        self.validate_field(child, result, prefix, handled, from_text=from_text)
                return
            result[field.name] = value
        else:
            value = default_for(field)
            if value is not UNDEFINED:
                result[field.name] = value

        if is_empty_value(value):
            if field.required:
                self.report(path, messages.MANDATORY)
        else:
            result[field.name] = self.check_value(field, value, path)

        for group in active_nested(field, value):
            for child in group.fields:
                self.validate_field(child, result, prefix, handled, from_text=from_text)

    # --- one non-empty value ----------------------------------------------------------------

    def check_value(self, field: Field, value: Any, path: str) -> Any:
        """Check a non-empty value, report at most one problem for it, and return it normalized."""
        if field.type in SELECT_TYPES:
            return self.check_select(field, value, path)
        if field.type == "collection":
            return self.check_collection(field, value, path)
        if field.type == "array":
            return self.check_array(field, value, path)
        problem = check_scalar(field, value)
        if problem is not None:
            self.report(path, problem)
        return value

    def check_select(self, field: Field, value: Any, path: str) -> Any:
        if contains_iml(value):
            self.report(path, messages.IML_PROHIBITED)
            return value
        if field.multiple:
            if not isinstance(value, list):
                self.report(path, messages.NOT_AN_ARRAY)
                return value
            rules = field.rules
            if rules.min_items is not None and len(value) < rules.min_items:
                self.report(path, messages.too_few_selected(rules.min_items))
            elif rules.max_items is not None and len(value) > rules.max_items:
                self.report(path, messages.too_many_selected(rules.max_items))
            for position, item in enumerate(value, start=1):
                self.check_option(field, item, f"{path}[{position}]")
            return value
        self.check_option(field, value, path)
        return value

    def check_option(self, field: Field, value: Any, path: str) -> None:
        options = field.options
        if options is None or options.remote is not None or not field.rules.enabled:
            return
        if options.find(value) is None:
            self.report(path, messages.not_in_options(value, secret=field.is_secret))

    def check_collection(self, field: Field, value: Any, path: str) -> Any:
        problem = check_type(field, value)
        if problem is not None:
            self.report(path, problem)
            return value
        if not field.children:
            if contains_iml(value):
                self.report(path, messages.IML_PROHIBITED)
            return value
        return self.validate_level(field.children, value, path, from_text=False)

    def check_array(self, field: Field, value: Any, path: str) -> Any:
        problem = check_type(field, value)
        if problem is not None:
            self.report(path, problem)
            return value
        rules = field.rules
        if rules.min_items is not None and len(value) < rules.min_items:
            self.report(path, messages.too_few_items(rules.min_items))
        elif rules.max_items is not None and len(value) > rules.max_items:
            self.report(path, messages.too_many_items(rules.max_items))

        items: list[Any] = []
        for position, item in enumerate(value, start=1):
            item_path = f"{path}[{position}]"
            items.append(self.check_array_item(field, item, item_path))
        return items

    def check_array_item(self, field: Field, item: Any, item_path: str) -> Any:
        if field.children:
            if not isinstance(item, dict):
                self.report(item_path, messages.expected_type("collection", type_name(item)))
                return item
            return self.validate_level(field.children, item, item_path, from_text=False)
        if field.item is not None and not field.item.is_display:
            if is_empty_value(item):
                if field.item.required:
                    self.report(item_path, messages.MANDATORY)
                return item
            return self.check_value(field.item, item, item_path)
        if contains_iml(item):
            self.report(item_path, messages.IML_PROHIBITED)
            return item
        if field.rules.enum is not None and not any(strict_equal(a, item) for a in field.rules.enum):
            self.report(item_path, messages.not_in_enum(list(field.rules.enum)))
        return item


def validate_values(
    spec: ParameterSpec,
    values: Mapping[str, Any],
    *,
    source: ValueSource = "json",
    prefix: str = "parameters",
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate the values a user supplied against a parameters spec.

    `source="json"` checks values from a JSON file strictly; `source="text"` first coerces each
    top-level text value (from `--param NAME=VALUE` or the environment) to its field's type.
    Returns the normalized values (defaults applied, coerced values, display fields dropped,
    unknown keys kept) and every problem found, errors and warnings, in spec order. The values
    are valid when no problem has severity "error". `prefix` starts every problem path.
    """
    run = _Validation(source)
    if not isinstance(values, Mapping):
        run.report(prefix, messages.expected_type("collection", type_name(values)))
        return {}, run.problems
    normalized = run.validate_level(spec.fields, values, prefix, from_text=source == "text")
    return normalized, run.problems


# =============================================================================================
# Helpers behind ParameterSpec.secret_values and ParameterSpec.missing_required
# =============================================================================================


def _collect_level(fields: tuple[Field, ...], values: Any, found: list[str]) -> None:
    if not isinstance(values, Mapping):
        return
    level_fields: list[Field] = []
    for field in fields:
        level_fields.append(field)
        level_fields.extend(_all_nested_fields(field))
    for field in level_fields:
        if not field.name or field.name not in values:
            continue
        _collect_value(field, values[field.name], found)


def _collect_value(field: Field, value: Any, found: list[str]) -> None:
    if field.is_secret:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, (dict, list)) or is_empty_value(item):
                continue
            text = to_string(item)
            if text and text not in found:
                found.append(text)
        return
    if field.type == "collection" and field.children:
        _collect_level(field.children, value, found)
    elif field.type == "array" and isinstance(value, list):
        for item in value:
            if field.children:
                _collect_level(field.children, item, found)
            elif field.item is not None:
                _collect_value(field.item, item, found)


def collect_secret_values(spec: ParameterSpec, values: Any) -> list[str]:
    """Return the secret strings in `values`; see `ParameterSpec.secret_values`."""
    found: list[str] = []
    _collect_level(spec.fields, values, found)
    return found


def _text_to_choice(field: Field, value: Any) -> Any:
    """Read a value that may still be text, for deciding which nested fields are active."""
    if not isinstance(value, str) or value == "":
        return value
    try:
        return coerce_text(field, value)
    except CoercionError:
        return value


def _missing_in_level(
    fields: tuple[Field, ...], values: Mapping[str, Any], seen: set[str], missing: list[Field]
) -> None:
    for field in fields:
        if field.is_display or not field.name or field.name in seen:
            continue
        seen.add(field.name)
        value = values.get(field.name, UNDEFINED) if field.name in values else default_for(field)
        if is_empty_value(value):
            if field.required:
                missing.append(field)
            if field.type not in SELECT_TYPES:
                continue
        for group in active_nested(field, _text_to_choice(field, value)):
            _missing_in_level(group.fields, values, seen, missing)


def find_missing_required(spec: ParameterSpec, values: Any) -> list[Field]:
    """Return the active required fields without a value; see `ParameterSpec.missing_required`."""
    mapping: Mapping[str, Any] = values if isinstance(values, Mapping) else {}
    missing: list[Field] = []
    _missing_in_level(spec.fields, mapping, set(), missing)
    return missing
