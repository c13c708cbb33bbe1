"""URL joining, percent-encoding, validation and origins."""

from __future__ import annotations

import pytest

from imlconnect.http.models import RequestBuildError
from imlconnect.http.urls import (
    describe_url,
    is_absolute,
    join_base,
    origin,
    parse_url,
    percent_encode_url,
    replace_query,
)


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        ("https://a/v1", "/me", "https://a/v1/me"),
        ("https://a/v1/", "/me", "https://a/v1/me"),
        ("https://a/v1/", "me", "https://a/v1/me"),
        ("https://a/v1", "me", "https://a/v1/me"),
        ("https://a/v1//", "//me", "https://a/v1/me"),
        ("https://a", "/me/x?y=1", "https://a/me/x?y=1"),
        ("https://a/v1", "?x=1", "https://a/v1?x=1"),
        ("https://a/v1", "", "https://a/v1"),
    ],
)
def test_join_base_one_slash(base: str, url: str, expected: str) -> None:
    assert join_base(base, url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a", True),
        ("HTTP://a", True),
        ("ftp://a", True),
        ("/me", False),
        ("me", False),
        ("//a/me", False),
        ("?q=1", False),
    ],
)
def test_is_absolute(url: str, expected: bool) -> None:
    assert is_absolute(url) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/a b", "/a%20b"),
        ("/é", "/%C3%A9"),
        ("/%41%2f", "/%41%2f"),
        ("/100%", "/100%25"),
        ("/%zz", "/%25zz"),
        ('/a"<>\\^`{|}', "/a%22%3C%3E%5C%5E%60%7B%7C%7D"),
        ("/:@!$&'()*+,;=[]?/", "/:@!$&'()*+,;=[]?/"),
        ("/-._~", "/-._~"),
        ("/\t\n", "/%09%0A"),
        ("/\ud800", "/%EF%BF%BD"),
    ],
)
def test_percent_encode_url(text: str, expected: str) -> None:
    assert percent_encode_url(text) == expected


def test_parse_lowercases_scheme_and_host() -> None:
    assert parse_url("HTTPS://API.Example.COM/Path", encode=True).url == "https://api.example.com/Path"


def test_parse_empty_path_becomes_slash() -> None:
    assert parse_url("https://a.com", encode=True).url == "https://a.com/"


def test_parse_empty_path_with_query() -> None:
    assert parse_url("https://a.com?x=1", encode=True).url == "https://a.com/?x=1"


def test_parse_drops_fragment() -> None:
    assert parse_url("https://a.com/p?q=1#frag", encode=True).url == "https://a.com/p?q=1"


def test_parse_keeps_port() -> None:
    parsed = parse_url("http://a.com:8080/x", encode=True)
    assert parsed.url == "http://a.com:8080/x"
    assert parsed.port == 8080


def test_parse_empty_port_dropped() -> None:
    assert parse_url("http://a.com:/x", encode=True).url == "http://a.com/x"


@pytest.mark.parametrize("url", ["http://a.com:99999/", "http://a.com:8o/", "http://a.com:-1/"])
def test_parse_rejects_bad_port(url: str) -> None:
    with pytest.raises(RequestBuildError, match="invalid port"):
        parse_url(url, encode=True)


@pytest.mark.parametrize(
    "url", ["ftp://a.com/x", "file:///etc/passwd", "javascript:alert(1)", "localhost:8080/x"]
)
def test_parse_rejects_other_schemes(url: str) -> None:
    with pytest.raises(RequestBuildError, match="only http and https"):
        parse_url(url, encode=True)


def test_parse_rejects_missing_host() -> None:
    with pytest.raises(RequestBuildError, match="no host"):
        parse_url("https:///path", encode=True)


def test_parse_rejects_scheme_without_slashes() -> None:
    with pytest.raises(RequestBuildError, match="no host"):
        parse_url("https:a.com/x", encode=True)


@pytest.mark.parametrize("host", ["a b.com", "a<b>.com", "a%41.com", "a,b.com"])
def test_parse_rejects_bad_host(host: str) -> None:
    with pytest.raises(RequestBuildError, match="not a valid host name"):
        parse_url(f"https://{host}/x", encode=True)


def test_parse_backslash_in_authority_rejected() -> None:
    with pytest.raises(RequestBuildError, match="backslash"):
        parse_url("https://evil.com\\@good.com/", encode=True)


def test_parse_idna_host() -> None:
    assert parse_url("https://bücher.de/x", encode=True).host == "xn--bcher-kva.de"


def test_parse_idna_host_needs_encoding() -> None:
    with pytest.raises(RequestBuildError, match="set encodeUrl to true"):
        parse_url("https://bücher.de/x", encode=False)


def test_parse_ipv6_literal() -> None:
    parsed = parse_url("http://[::1]:8080/x", encode=True)
    assert parsed.host == "[::1]"
    assert parsed.port == 8080


def test_parse_unclosed_ipv6_rejected() -> None:
    with pytest.raises(RequestBuildError, match="IPv6"):
        parse_url("http://[::1/x", encode=True)


def test_parse_moves_credentials_out() -> None:
    parsed = parse_url("https://user:p%40ss@a.com/x", encode=True)
    assert parsed.url == "https://a.com/x"
    assert parsed.username == "user"
    assert parsed.password == "p@ss"


def test_parse_username_without_password() -> None:
    parsed = parse_url("https://user@a.com/x", encode=True)
    assert parsed.username == "user"
    assert parsed.password == ""


def test_parse_encodes_path_and_query() -> None:
    parsed = parse_url("https://a.com/a b/é?q=ü v&r=%20", encode=True)
    assert parsed.url == "https://a.com/a%20b/%C3%A9?q=%C3%BC%20v&r=%20"


def test_parse_unencoded_keeps_text() -> None:
    assert parse_url("https://a.com/{x}|y?q=[1]", encode=False).url == "https://a.com/{x}|y?q=[1]"


@pytest.mark.parametrize(("url", "character"), [("https://a.com/a b", "' '"), ("https://a.com/é", "'é'")])
def test_parse_unencoded_rejects_unsendable(url: str, character: str) -> None:
    with pytest.raises(RequestBuildError, match=f"character {character}") as caught:
        parse_url(url, encode=False)
    assert "encodeUrl" in str(caught.value)


def test_parse_error_hides_query() -> None:
    with pytest.raises(RequestBuildError) as caught:
        parse_url("ftp://a.com/x?api_key=secret123", encode=True)
    assert "secret123" not in str(caught.value)


def test_replace_query() -> None:
    assert replace_query("https://a.com/x?old=1", "new=2") == "https://a.com/x?new=2"


def test_replace_query_empty_removes() -> None:
    assert replace_query("https://a.com/x?old=1", "") == "https://a.com/x"


def test_origin_default_ports() -> None:
    assert origin(parse_url("https://a.com/x", encode=True)) == ("https", "a.com", 443)
    assert origin(parse_url("http://a.com/x", encode=True)) == ("http", "a.com", 80)


def test_origin_explicit_default_port_same() -> None:
    assert origin(parse_url("https://a.com:443/", encode=True)) == origin(
        parse_url("https://A.com/", encode=True)
    )


def test_describe_url_cuts_credentials() -> None:
    assert describe_url("https://ann:pw@a.com/x") == "https://a.com/x"


def test_parse_error_hides_credentials() -> None:
    with pytest.raises(RequestBuildError) as caught:
        parse_url("https://ann:pw123@a.com:99999/", encode=True)
    assert "pw123" not in str(caught.value)


def test_describe_url_cuts_query() -> None:
    assert describe_url("https://a.com/x?token=abc#f") == "https://a.com/x"
