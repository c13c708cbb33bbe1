"""Text functions: length, case, trimming, searching, replacing, splitting and escaping.

Positions and lengths count UTF-16 code units, as JavaScript strings do, so `length('😀')` is 2
and `substring` and `indexOf` agree with Node. When the text argument is undefined or null,
functions that transform text return it unchanged. `length` returns 0 and `contains` false.
"""

from __future__ import annotations

import html.parser
import re
import time
import unicodedata
from urllib.parse import quote

from ..errors import IMLLimitError
from ..values import UNDEFINED, Value, is_nullish, to_string, truthy
from .coerce import (
    CallLike,
    check_array,
    check_length,
    check_text,
    fail,
    max_string_length,
    regex_deadline,
    same_value,
    strip_js_whitespace,
    to_integer,
    to_text,
    wrong_type,
)
from .regex import compile_js_regex, split_literal
from .registry import BUILTINS

# --- UTF-16 code units ---------------------------------------------------------------------

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def to_code_units(text: str) -> str:
    """Return text with every astral character split into its two surrogate code units."""
    if not _ASTRAL.search(text):
        return text
    encoded = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(encoded[i : i + 2], "little")) for i in range(0, len(encoded), 2))


def from_code_units(units: str) -> str:
    """Join surrogate pairs back into characters. Lone surrogates stay as they are."""
    if not _SURROGATE.search(units):
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def code_unit_length(text: str) -> int:
    """Return the JavaScript length of text: astral characters count twice."""
    return len(text) + len(_ASTRAL.findall(text))


# --- length and case -----------------------------------------------------------------------


@BUILTINS.register("length", min_args=1, max_args=1)
def length(call: CallLike, value: Value) -> Value:
    """Return the length of text (UTF-16 code units), binary (bytes) or an array (items).

    Undefined and null have length 0. A collection counts its keys. Numbers, booleans and
    dates count the characters of their text form.
    """
    if is_nullish(value):
        return 0
    if isinstance(value, (bytes, bytearray, list, dict)):
        return len(value)
    return code_unit_length(to_string(value))


def _text_or_passthrough(call: CallLike, value: Value) -> str | None:
    if is_nullish(value):
        return None
    return to_text(call, value, 1)


@BUILTINS.register("lower", min_args=1, max_args=1)
def lower(call: CallLike, text: Value) -> Value:
    """Convert text to lower case (Unicode full case mapping, as JavaScript)."""
    source = _text_or_passthrough(call, text)
    return text if source is None else source.lower()


@BUILTINS.register("upper", min_args=1, max_args=1)
def upper(call: CallLike, text: Value) -> Value:
    """Convert text to upper case (Unicode full case mapping, as JavaScript)."""
    source = _text_or_passthrough(call, text)
    return text if source is None else check_text(call, source.upper())


@BUILTINS.register("capitalize", min_args=1, max_args=1)
def capitalize(call: CallLike, text: Value) -> Value:
    """Upper-case the first character and leave the rest unchanged."""
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    return source[:1].upper() + source[1:]


@BUILTINS.register("startcase", min_args=1, max_args=1)
def startcase(call: CallLike, text: Value) -> Value:
    """Upper-case the first letter of every word and lower-case the rest (`hello WORLD` to `Hello World`).

    Words are runs of characters between white space. The white space is kept as it is.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    return re.sub(r"\S+", lambda word: word.group(0)[:1].upper() + word.group(0)[1:].lower(), source)


@BUILTINS.register("trim", min_args=1, max_args=1)
def trim(call: CallLike, text: Value) -> Value:
    """Remove leading and trailing white space and line terminators, as JavaScript's trim()."""
    source = _text_or_passthrough(call, text)
    return text if source is None else strip_js_whitespace(source)


# --- positions -----------------------------------------------------------------------------


@BUILTINS.register("substring", min_args=2, max_args=3)
def substring(call: CallLike, text: Value, start: Value, end: Value = UNDEFINED) -> Value:
    """Return the part of text from `start` up to `end` (exclusive), both 0-based.

    As JavaScript's String.substring: negative positions count as 0, positions past the end
    as the length, and `start` greater than `end` swaps them. Without `end` the rest of the
    text is returned.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    units = to_code_units(source)
    size = len(units)
    first = min(max(to_integer(call, start, 2), 0), size)
    last = size if is_nullish(end) else min(max(to_integer(call, end, 3), 0), size)
    if first > last:
        first, last = last, first
    return from_code_units(units[first:last])


@BUILTINS.register("indexOf", min_args=2, max_args=3)
def index_of(call: CallLike, text: Value, search: Value, start: Value = UNDEFINED) -> Value:
    """Return the 0-based position of the first occurrence of `search` at or after `start`, or -1."""
    if is_nullish(text):
        return -1
    if isinstance(text, (list, dict)):
        wrong_type(call, 1, text, "text (use contains() to test membership in an array)")
    units = to_code_units(to_text(call, text, 1))
    needle = to_code_units(to_text(call, search, 2))
    begin = 0 if is_nullish(start) else min(max(to_integer(call, start, 3), 0), len(units))
    return units.find(needle, begin)


@BUILTINS.register("contains", min_args=2, max_args=3)
def contains(call: CallLike, haystack: Value, needle: Value, ignore_case: Value = False) -> Value:
    """Test whether text contains a substring, or an array contains an item.

    With a truthy third argument, text is compared case-insensitively (also text items of an
    array). Array items compare strictly and deeply (`1` is not `"1"`). Undefined and null
    contain nothing.
    """
    if is_nullish(haystack):
        return False
    fold = truthy(ignore_case)
    if isinstance(haystack, list):
        for item in haystack:
            if fold and isinstance(item, str) and isinstance(needle, str):
                if item.lower() == needle.lower():
                    return True
            elif same_value(item, needle):
                return True
        return False
    if isinstance(haystack, dict):
        wrong_type(call, 1, haystack, "text or an array")
    source = to_text(call, haystack, 1)
    if isinstance(needle, (list, dict)):
        wrong_type(call, 2, needle, "text")
    search = to_string(needle)
    if fold:
        return search.lower() in source.lower()
    return search in source


# --- replace -------------------------------------------------------------------------------


@BUILTINS.register("replace", min_args=3, max_args=3)
def replace(call: CallLike, text: Value, search: Value, replacement: Value) -> Value:
    """Replace text.

    A plain search text replaces every occurrence, and the replacement is used literally. A
    search of the form `/pattern/flags` is a JavaScript regular expression: without the `g`
    flag only the first match is replaced, and the replacement may use `$&` (the match),
    `$1`..`$99` (groups), `$<name>`, `` $` `` (text before), `$'` (text after) and `$$`. An
    empty plain search leaves the text unchanged. An undefined or null replacement is empty.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    if isinstance(search, (list, dict)):
        wrong_type(call, 2, search, "text or a /pattern/flags regular expression")
    if isinstance(replacement, (list, dict)):
        wrong_type(call, 3, replacement, "text")
    needle = to_string(search)
    substitute = "" if is_nullish(replacement) else to_string(replacement)

    literal = split_literal(needle) if isinstance(search, str) else None
    if literal is None:
        if needle == "":
            return source
        count = source.count(needle)
        check_length(call, len(source) + count * (len(substitute) - len(needle)))
        return source.replace(needle, substitute)

    regex = compile_js_regex(call, literal[0], literal[1], 2)
    limit = max_string_length(call)
    pieces: list[str] = []
    size = 0
    last_end = 0
    deadline = regex_deadline(call)
    for count, match in enumerate(regex.compiled.finditer(source)):
        if count % 1024 == 1023 and time.monotonic() > deadline:
            raise IMLLimitError(
                f"{call.name}(): the regular expression took longer than the time limit. "
                "use a simpler pattern or a shorter text.",
                function=call.name,
            )
        expanded = expand_replacement(substitute, match, source)
        pieces.append(source[last_end : match.start()])
        pieces.append(expanded)
        size += match.start() - last_end + len(expanded)
        if size > limit:
            check_length(call, size)
        last_end = match.end()
        if not regex.is_global:
            break
    pieces.append(source[last_end:])
    return check_text(call, "".join(pieces))


_REPLACEMENT_TOKEN = re.compile(r"\$(?:(\$)|(&)|(`)|(')|(\d\d?)|<([^>]*)>)")


def expand_replacement(template: str, match: object, source: str) -> str:
    """Expand JavaScript replacement patterns for one regular expression match."""
    if "$" not in template:
        return template
    group_count = len(match.groups())  # type: ignore[attr-defined]

    def group_text(number: int) -> str:
        value = match.group(number)  # type: ignore[attr-defined]
        return value if value is not None else ""

    def substitute(token: re.Match[str]) -> str:
        dollar, whole, before, after, digits, name = token.groups()
        if dollar:
            return "$"
        if whole:
            return match.group(0)  # type: ignore[attr-defined]
        if before:
            return source[: match.start()]  # type: ignore[attr-defined]
        if after:
            return source[match.end() :]  # type: ignore[attr-defined]
        if digits:
            # JavaScript prefers a two-digit group number when that group exists.
            if len(digits) == 2 and 1 <= int(digits) <= group_count:
                return group_text(int(digits))
            if 1 <= int(digits[0]) <= group_count:
                return group_text(int(digits[0])) + digits[1:]
            return token.group(0)
        names = match.re.groupindex  # type: ignore[attr-defined]
        if not names:
            return token.group(0)  # Without named groups, `$<` is literal text in JavaScript.
        index = names.get(name)
        return group_text(index) if index is not None else ""

    return _REPLACEMENT_TOKEN.sub(substitute, template)


# --- emoji ---------------------------------------------------------------------------------

_PICTOGRAPHIC = (
    "\u231a\u231b\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe"
    "\u2600-\u27bf\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff"
)
_TEXT_STYLE = "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u2328\u23cf"
_MODIFIER = "(?:\ufe0f|[\U0001f3fb-\U0001f3ff])?"
_ELEMENT = f"(?:[{_PICTOGRAPHIC}]|[{_TEXT_STYLE}]\ufe0f){_MODIFIER}"
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"
    "|[0-9#*]\ufe0f?\u20e3"
    f"|{_ELEMENT}(?:\u200d{_ELEMENT})*[\U000e0020-\U000e007f]*"
)


@BUILTINS.register("replaceEmojiCharacters", min_args=2, max_args=2)
def replace_emoji_characters(call: CallLike, text: Value, replacement: Value) -> Value:
    """Replace every emoji (with its modifiers, joiners, flags and keycaps) by the replacement.

    NOTE: emoji are recognised by Unicode block ranges, not by the Extended_Pictographic
    property table, so a few symbols in those blocks that are not emoji (such as U+2713, the
    check mark) are replaced too.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    if isinstance(replacement, (list, dict)):
        wrong_type(call, 2, replacement, "text")
    substitute = "" if is_nullish(replacement) else to_string(replacement)
    return check_text(call, _EMOJI.sub(lambda _: substitute, source))


# --- split and ascii -----------------------------------------------------------------------


@BUILTINS.register("split", min_args=1, max_args=3)
def split(call: CallLike, text: Value, separator: Value = ",", keep_empty: Value = False) -> Value:
    """Split text into an array of pieces.

    Following Make's IML library, each piece is trimmed and empty pieces are dropped unless
    the third argument is truthy. The separator is literal text (default `,`). An empty
    separator splits into single characters.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    if isinstance(separator, (list, dict)):
        wrong_type(call, 2, separator, "text")
    delimiter = "," if is_nullish(separator) else to_string(separator)
    pieces = list(source) if delimiter == "" else source.split(delimiter)
    keep = truthy(keep_empty)
    result: list[Value] = []
    for piece in pieces:
        trimmed = strip_js_whitespace(piece)
        if trimmed or keep:
            result.append(trimmed)
    return check_array(call, result)


@BUILTINS.register("ascii", min_args=1, max_args=2)
def ascii_(call: CallLike, text: Value, remove_diacritics: Value = False) -> Value:
    """Remove every non-ASCII character. With a truthy second argument, fold accents first.

    Folding decomposes characters (Unicode NFKD) so `ěščřž` becomes `escrz`.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    if truthy(remove_diacritics):
        source = unicodedata.normalize("NFKD", source)
    return "".join(char for char in source if char.isascii())


# --- URLs and escaping ---------------------------------------------------------------------


@BUILTINS.register("encodeURL", min_args=1, max_args=1)
def encode_url(call: CallLike, text: Value) -> Value:
    """Percent-encode text as JavaScript's encodeURIComponent (UTF-8, `A-Za-z0-9-_.!~*'()` kept)."""
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    try:
        encoded = quote(source.encode("utf-8"), safe="-_.!~*'()")
    except UnicodeEncodeError:
        fail(call, "argument 1 contains a lone UTF-16 surrogate, which cannot be URL-encoded.")
    return check_text(call, encoded)


_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


@BUILTINS.register("decodeURL", min_args=1, max_args=1)
def decode_url(call: CallLike, text: Value) -> Value:
    """Decode percent-encoded UTF-8 as JavaScript's decodeURIComponent. `+` stays `+`."""
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    pieces: list[str] = []
    position = 0
    for run in _PERCENT_RUN.finditer(source):
        between = source[position : run.start()]
        if "%" in between:
            fail(call, "argument 1 is not valid URL encoding: a % is not followed by two hex digits.")
        pieces.append(between)
        raw = bytes(int(run.group(0)[i + 1 : i + 3], 16) for i in range(0, len(run.group(0)), 3))
        try:
            pieces.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            fail(call, "argument 1 is not valid URL encoding: the escapes are not UTF-8.")
        position = run.end()
    rest = source[position:]
    if "%" in rest:
        fail(call, "argument 1 is not valid URL encoding: a % is not followed by two hex digits.")
    pieces.append(rest)
    return "".join(pieces)


@BUILTINS.register("escapeHTML", min_args=1, max_args=1)
def escape_html(call: CallLike, text: Value) -> Value:
    """Escape `&`, `<` and `>` as HTML entities, as Make's escapeHTML does.

    Quotes are left alone, so the result is safe in element content but not in attributes.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    escaped = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return check_text(call, escaped)


#: Characters that start or delimit Markdown syntax. Each becomes a numeric HTML entity.
MARKDOWN_SPECIALS = "\\`*_~[](){}#+-!|<>"


@BUILTINS.register("escapeMarkdown", min_args=1, max_args=1)
def escape_markdown(call: CallLike, text: Value) -> Value:
    """Replace Markdown syntax characters by numeric entities (`# Header` to `&#35; Header`).

    The characters are `` \\ ` * _ ~ [ ] ( ) { } # + - ! | < > ``. NOTE: Make does not
    publish its list. This one covers every character that starts Markdown syntax except
    `.` after digits (ordered lists), which would turn every sentence into entities.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    escaped = "".join(f"&#{ord(char)};" if char in MARKDOWN_SPECIALS else char for char in source)
    return check_text(call, escaped)


class _TagStripper(html.parser.HTMLParser):
    """Collect the text of an HTML document. `<br>` becomes a newline, scripts and styles vanish."""

    _HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden_depth += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self.hidden_depth:
            self.parts.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.hidden_depth:
            self.parts.append(f"&#{name};")


@BUILTINS.register("stripHTML", min_args=1, max_args=1)
def strip_html(call: CallLike, text: Value) -> Value:
    """Remove HTML tags, comments and the content of `script` and `style`. `<br>` becomes a newline.

    Entities such as `&amp;` are kept as written.
    """
    source = _text_or_passthrough(call, text)
    if source is None:
        return text
    stripper = _TagStripper()
    stripper.feed(source)
    stripper.close()
    return "".join(stripper.parts)
