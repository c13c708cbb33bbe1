"""Translation of JavaScript regular expressions to RE2 and the checks around it."""

from __future__ import annotations

import pytest

from imlconnect.iml.errors import IMLRuntimeError
from imlconnect.iml.functions.regex import UnsupportedPattern, compile_js_regex, split_literal, translate
from imlconnect.iml.limits import Limits


class StubCall:
    """A stand-in for CallContext with the attributes the regex helpers read."""

    name = "replace"
    timezone = "UTC"
    limits = Limits()


def matches(pattern: str, flags: str, text: str) -> bool:
    regex = compile_js_regex(StubCall(), pattern, flags, 2)
    return regex.compiled.search(text) is not None


def test_literal_split() -> None:
    assert split_literal("/a+b/gi") == ("a+b", "gi")


def test_literal_needs_slashes() -> None:
    assert split_literal("a/b") is None


def test_literal_with_inner_slash() -> None:
    assert split_literal("/a/b/g") == ("a/b", "g")


def test_single_slash_is_text() -> None:
    assert split_literal("/") is None


@pytest.mark.parametrize(
    ("pattern", "flags", "text", "expected"),
    [
        ("a.c", "", "a\nc", False),
        ("a.c", "", "a\rc", False),
        ("a.c", "", "a\u2028c", False),
        ("a.c", "s", "a\nc", True),
        ("a.c", "", "a😀c", True),
        ("^b", "", "a\nb", False),
        ("^b", "m", "a\nb", True),
        ("a$", "", "a\n", False),
        ("A", "i", "a", True),
        ("a\\sb", "", "a\u00a0b", True),
        ("a\\sb", "", "a\ufeffb", True),
        ("a\\Sb", "", "a b", False),
        ("[\\s]", "", "\u3000", True),
        ("[^]", "", "\n", True),
        ("x[]", "", "x", False),
        ("\\u00e9", "", "é", True),
        ("\\u{1F600}", "u", "😀", True),
        ("\\x41", "", "A", True),
        ("\\cJ", "", "\n", True),
        ("\\0", "", "\x00", True),
        ("[\\b]", "", "\b", True),
        ("\\bword\\b", "", "a word here", True),
        ("\\/", "", "/", True),
        ("\\e", "", "e", True),
        ("(?<year>\\d{4})", "", "in 2024", True),
        ("a{2}", "", "aa", True),
        ("[a-c]+?", "", "b", True),
        ("\\d+", "", "٣", False),
        ("[[]", "", "[", True),
    ],
)
def test_js_semantics(pattern: str, flags: str, text: str, expected: bool) -> None:
    assert matches(pattern, flags, text) is expected


@pytest.mark.parametrize("pattern", ["(a)\\1", "\\k<n>(?<n>a)", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b"])
def test_unsupported_feature(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        translate(pattern, "")


def test_unsupported_message() -> None:
    with pytest.raises(IMLRuntimeError, match="not supported"):
        compile_js_regex(StubCall(), "a(?=b)", "", 2)


@pytest.mark.parametrize("flags", ["y", "gg", "x", "G"])
def test_bad_flags(flags: str) -> None:
    with pytest.raises(IMLRuntimeError, match="flags"):
        compile_js_regex(StubCall(), "a", flags, 2)


@pytest.mark.parametrize("pattern", ["[a", "a)", "*a", "a\\"])
def test_invalid_pattern(pattern: str) -> None:
    with pytest.raises(IMLRuntimeError, match="not a valid regular expression"):
        compile_js_regex(StubCall(), pattern, "", 2)


def test_global_flag_kept() -> None:
    regex = compile_js_regex(StubCall(), "a", "gi", 2)
    assert regex.is_global


def test_nested_quantifier_is_linear() -> None:
    regex = compile_js_regex(StubCall(), "(a+)+$", "", 2)
    assert regex.compiled.search("a" * 50_000 + "b") is None
