"""JavaScript regular expressions from templates, run on RE2 so matching time stays linear.

A template writes a regular expression as text of the form `/pattern/flags`, as in JavaScript.
`translate` rewrites the pattern into RE2 syntax with JavaScript's meaning:

- `.` does not match line terminators (`\\n`, `\\r`, U+2028, U+2029) unless the `s` flag is on.
- `\\s` and `\\S` use JavaScript's set of white space, which is wider than RE2's.
  NOTE: inside a character class `\\S` keeps RE2's ASCII meaning, so `[\\S]` also matches
  non-ASCII spaces such as U+00A0.
- `(?<name>...)` becomes RE2's `(?P<name>...)`. `\\uXXXX`, `\\u{X...}`, `\\cX` and `\\0` become
  code points. `[^]` matches any character and `[]` none.
- Back-references (`\\1`, `\\k<name>`), lookahead and lookbehind cannot run in linear time, so
  they raise an `IMLRuntimeError` that reports the pattern as not supported.

Flags: `g` (all matches, for the caller to honour), `i`, `m`, `s`, `u`. The sticky flag `y`
is rejected. `d` is accepted and has no effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import re2

from .coerce import CallLike, fail, max_pattern_length

_REGEX_LITERAL = re.compile(r"/(.+)/([a-z]*)", re.DOTALL)
_JS_SPACE_RANGES = (
    r"\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}"
)
_LINE_TERMINATORS = r"\n\r\x{2028}\x{2029}"
_KNOWN_FLAGS = set("gimsud")
_RE2_MAX_MEMORY = 64 << 20


class UnsupportedPattern(ValueError):
    """The pattern uses a JavaScript feature that RE2 cannot run."""


@dataclass(frozen=True)
class JsRegex:
    """A compiled JavaScript regular expression and its flags."""

    source: str
    flags: str
    compiled: re2._Regexp

    @property
    def is_global(self) -> bool:
        return "g" in self.flags


def split_literal(text: str) -> tuple[str, str] | None:
    """Return (pattern, flags) when text is a `/pattern/flags` literal, else None."""
    match = _REGEX_LITERAL.fullmatch(text)
    if match is None:
        return None
    return match.group(1), match.group(2)


def _hex(code_point: int) -> str:
    return f"\\x{{{code_point:X}}}"


def translate(pattern: str, flags: str) -> str:
    """Rewrite a JavaScript pattern into RE2 syntax (see the module docstring)."""
    unicode_mode = "u" in flags
    dot = "(?s:.)" if "s" in flags else f"[^{_LINE_TERMINATORS}]"
    output: list[str] = []
    index = 0
    in_class = False
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            if index + 1 >= length:
                raise ValueError("the pattern ends with a lone backslash")
            escaped, index = _translate_escape(pattern, index + 1, in_class, unicode_mode)
            output.append(escaped)
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char == "[":
                char = "\\["
            output.append(char)
            index += 1
            continue
        if char == "[":
            if pattern.startswith("[^]", index):
                output.append("(?s:.)")
                index += 3
                continue
            if pattern.startswith("[]", index):
                output.append("[^\\x00-\\x{10FFFF}]")
                index += 2
                continue
            in_class = True
            if pattern.startswith("[^", index):
                output.append("[^")
                index += 2
            else:
                output.append("[")
                index += 1
            continue
        if char == ".":
            output.append(dot)
            index += 1
            continue
        if char == "(" and pattern.startswith("(?", index):
            rest = pattern[index + 2 : index + 4]
            if rest.startswith(("=", "!")) or rest in ("<=", "<!"):
                raise UnsupportedPattern("lookahead and lookbehind assertions")
            if rest.startswith("<"):
                output.append("(?P<")
                index += 3
                continue
        output.append(char)
        index += 1
    if in_class:
        raise ValueError("a character class is not closed with ]")
    return "".join(output)


def _translate_escape(pattern: str, index: int, in_class: bool, unicode_mode: bool) -> tuple[str, int]:
    """Translate the escape whose letter is at `index`. Return the RE2 text and the next index."""
    char = pattern[index]
    if char in "123456789" and not in_class:
        raise UnsupportedPattern("back-references such as \\1")
    if char == "k" and pattern.startswith("<", index + 1):
        raise UnsupportedPattern("named back-references such as \\k<name>")
    if char == "s":
        return (_JS_SPACE_RANGES if in_class else f"[{_JS_SPACE_RANGES}]"), index + 1
    if char == "S" and not in_class:
        return f"[^{_JS_SPACE_RANGES}]", index + 1
    if char in "dDwWS" or (char in "bB" and not in_class):
        return "\\" + char, index + 1
    if char == "b":  # Inside a class, \b is the backspace character.
        return _hex(8), index + 1
    simple = {"n": 10, "r": 13, "t": 9, "v": 11, "f": 12}
    if char in simple:
        return _hex(simple[char]), index + 1
    if char == "0" and not pattern[index + 1 : index + 2].isdigit():
        return _hex(0), index + 1
    if char == "c" and index + 1 < len(pattern) and pattern[index + 1].isalpha():
        return _hex(ord(pattern[index + 1]) % 32), index + 2
    if char == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[index + 1 : index + 3]):
        return _hex(int(pattern[index + 1 : index + 3], 16)), index + 3
    if char == "u":
        braced = re.match(r"\{([0-9A-Fa-f]{1,6})\}", pattern[index + 1 :])
        if unicode_mode and braced:
            return _hex(int(braced.group(1), 16)), index + 1 + braced.end()
        if re.fullmatch(r"[0-9A-Fa-f]{4}", pattern[index + 1 : index + 5]):
            return _hex(int(pattern[index + 1 : index + 5], 16)), index + 5
    if char in "pP" and unicode_mode and pattern.startswith("{", index + 1):
        end = pattern.find("}", index + 1)
        if end == -1:
            raise ValueError("a \\p{...} property is not closed")
        return pattern[index - 1 : end + 1], end + 1
    if char.isalnum() or char == "_":
        # Outside `u` mode JavaScript reads an unknown escape such as \e as the letter itself.
        return re2.escape(char), index + 1
    return "\\" + char if char.isascii() else char, index + 1


@lru_cache(maxsize=256)
def _compile(source: str, flags: str) -> JsRegex:
    translated = translate(source, flags)
    prefix = ""
    if "i" in flags:
        prefix += "i"
    if "m" in flags:
        prefix += "m"
    if prefix:
        translated = f"(?{prefix}){translated}"
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEMORY
    try:
        compiled = re2.compile(translated, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(str(reason)) from None
    return JsRegex(source, flags, compiled)


def compile_js_regex(call: CallLike, source: str, flags: str, position: int) -> JsRegex:
    """Compile a JavaScript pattern for RE2, raising IMLRuntimeError for what cannot run."""
    if len(source) > max_pattern_length(call):
        fail(
            call,
            f"argument {position} is a regular expression longer than {max_pattern_length(call)} characters.",
        )
    unknown = sorted(set(flags) - _KNOWN_FLAGS)
    if unknown or len(set(flags)) != len(flags):
        fail(
            call, f"argument {position} has invalid regular expression flags '{flags}'. Use g, i, m, s or u."
        )
    try:
        return _compile(source, flags)
    except UnsupportedPattern as error:
        fail(
            call,
            f"argument {position} is a regular expression with {error}, which is not supported "
            "because patterns run in linear time. Rewrite it without them.",
        )
    except ValueError as error:
        fail(call, f"argument {position} is not a valid regular expression: {error}.")
