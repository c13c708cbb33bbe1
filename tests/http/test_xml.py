"""XML responses in Make's shape, parsed safely."""

from __future__ import annotations

import pytest

from imlconnect.http import ResponseParseError, WireResponse, parse_response
from imlconnect.http.xml import DTD_REJECTED, parse_xml, xml_encoding


def test_attributes_and_value() -> None:
    assert parse_xml(b'<status code="1">ok</status>') == {
        "status": [{"_attributes": {"code": "1"}, "_value": "ok"}]
    }


def test_repeated_children_accumulate() -> None:
    assert parse_xml(b"<a><b>x</b><b>y</b></a>") == {"a": [{"b": ["x", "y"]}]}


def test_text_only_root() -> None:
    assert parse_xml(b"<token>abc</token>") == {"token": ["abc"]}


def test_nested_elements() -> None:
    body = b"<r><user><id>7</id><name>Ann</name></user></r>"
    assert parse_xml(body) == {"r": [{"user": [{"id": ["7"], "name": ["Ann"]}]}]}


def test_children_in_first_seen_order() -> None:
    body = b"<r><b>1</b><a>2</a><b>3</b></r>"
    assert list(parse_xml(body)["r"][0]) == ["b", "a"]


def test_empty_element_is_empty_string() -> None:
    assert parse_xml(b"<r><a/><b></b></r>") == {"r": [{"a": [""], "b": [""]}]}


def test_attributes_only_element() -> None:
    assert parse_xml(b'<r><a x="1" y="2"/></r>') == {"r": [{"a": [{"_attributes": {"x": "1", "y": "2"}}]}]}


def test_attributes_beside_children() -> None:
    body = b'<r v="2"><a>1</a></r>'
    assert parse_xml(body) == {"r": [{"_attributes": {"v": "2"}, "a": ["1"]}]}


def test_attribute_order_kept() -> None:
    assert list(parse_xml(b'<r z="1" a="2" m="3"/>')["r"][0]["_attributes"]) == ["z", "a", "m"]


def test_mixed_content_value_stripped() -> None:
    body = b"<p>\n  Hello <b>you</b> there\n</p>"
    assert parse_xml(body) == {"p": [{"b": ["you"], "_value": "Hello  there"}]}


def test_indentation_ignored() -> None:
    body = b"<r>\n  <a>1</a>\n  <a>2</a>\n</r>\n"
    assert parse_xml(body) == {"r": [{"a": ["1", "2"]}]}


def test_text_only_whitespace_kept() -> None:
    assert parse_xml(b"<r><a>  x  </a></r>") == {"r": [{"a": ["  x  "]}]}


def test_attribute_text_kept_as_written() -> None:
    assert parse_xml(b'<a k="v"> x </a>') == {"a": [{"_attributes": {"k": "v"}, "_value": " x "}]}


def test_namespace_prefixes_kept() -> None:
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soap:Body><m:Result xmlns:m="urn:x">1</m:Result></soap:Body></soap:Envelope>'
    )
    assert parse_xml(body) == {
        "soap:Envelope": [
            {
                "_attributes": {"xmlns:soap": "http://schemas.xmlsoap.org/soap/envelope/"},
                "soap:Body": [{"m:Result": [{"_attributes": {"xmlns:m": "urn:x"}, "_value": "1"}]}],
            }
        ]
    }


def test_default_namespace_is_attribute() -> None:
    assert parse_xml(b'<feed xmlns="http://www.w3.org/2005/Atom"/>') == {
        "feed": [{"_attributes": {"xmlns": "http://www.w3.org/2005/Atom"}}]
    }


def test_cdata_is_text() -> None:
    assert parse_xml(b"<a><![CDATA[<b>&x</b>]]></a>") == {"a": ["<b>&x</b>"]}


def test_comments_and_instructions_dropped() -> None:
    assert parse_xml(b"<?xml version='1.0'?><!-- c --><a><?pi x?>t<!-- d --></a>") == {"a": ["t"]}


def test_predefined_and_numeric_entities() -> None:
    assert parse_xml(b"<a>&lt;&amp;&gt;&quot;&apos;&#233;&#x20AC;</a>") == {"a": ["<&>\"'é€"]}


def test_dtd_rejected() -> None:
    with pytest.raises(ResponseParseError, match=DTD_REJECTED):
        parse_xml(b"<!DOCTYPE a><a/>")


def test_billion_laughs_rejected() -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{entities}]><r>&l9;</r>'.encode()
    with pytest.raises(ResponseParseError) as caught:
        parse_xml(body)
    assert caught.value.reason == DTD_REJECTED


def test_external_entity_rejected() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    with pytest.raises(ResponseParseError, match=DTD_REJECTED):
        parse_xml(body)


def test_undefined_entity_rejected() -> None:
    with pytest.raises(ResponseParseError, match="undefined entity"):
        parse_xml(b"<a>&nope;</a>")


def test_depth_limit() -> None:
    with pytest.raises(ResponseParseError, match="deeper than 256 levels"):
        parse_xml(b"<a>" * 257 + b"</a>" * 257)


def test_depth_at_limit_parses() -> None:
    shaped = parse_xml(b"<a>" * 256 + b"x" + b"</a>" * 256)
    for _ in range(255):
        shaped = shaped["a"][0]
    assert shaped == {"a": ["x"]}


def test_depth_is_a_parameter() -> None:
    with pytest.raises(ResponseParseError, match="deeper than 2 levels"):
        parse_xml(b"<a><b><c/></b></a>", max_depth=2)


def test_malformed_reports_position() -> None:
    with pytest.raises(ResponseParseError) as caught:
        parse_xml(b"<a><b></a>", status=200)
    assert caught.value.reason == "line 1, column 9: mismatched tag"
    assert caught.value.status == 200


def test_not_xml_rejected() -> None:
    with pytest.raises(ResponseParseError, match="not valid xml"):
        parse_xml(b'{"a": 1}')


def test_declared_latin1_encoding() -> None:
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1")
    assert parse_xml(body) == {"a": ["é"]}


def test_http_charset_wins() -> None:
    body = '<?xml version="1.0" encoding="UTF-8"?><a>é</a>'.encode("latin-1")
    assert parse_xml(body, charset="iso-8859-1") == {"a": ["é"]}


def test_utf16_byte_order_mark() -> None:
    assert parse_xml("<a>ż</a>".encode("utf-16")) == {"a": ["ż"]}


def test_utf8_byte_order_mark() -> None:
    assert parse_xml(b"\xef\xbb\xbf<a>x</a>") == {"a": ["x"]}


def test_invalid_utf8_replaced() -> None:
    assert parse_xml(b"<a>x\xffy</a>") == {"a": ["x\ufffdy"]}


@pytest.mark.parametrize(
    ("body", "charset", "expected"),
    [
        (b"<a/>", None, "utf-8"),
        (b'<?xml version="1.0" encoding="windows-1252"?><a/>', None, "cp1252"),
        (b'<?xml version="1.0" encoding="nope"?><a/>', None, "utf-8"),
        (b'<?xml version="1.0" encoding="windows-1252"?><a/>', "utf-8", "utf-8"),
        (b"\xff\xfe<\x00", None, "utf-16"),
    ],
)
def test_xml_encoding_choice(body: bytes, charset: str | None, expected: str) -> None:
    assert xml_encoding(body, charset) == expected


def test_parse_response_xml_status() -> None:
    response = WireResponse(500, "Error", [("Content-Type", "text/xml")], b"<a>", "https://a/")
    with pytest.raises(ResponseParseError) as caught:
        parse_response(response, None)
    assert caught.value.status == 500
    assert caught.value.type == "xml"


def test_parse_response_xml_charset() -> None:
    response = WireResponse(
        200, "OK", [("Content-Type", "application/xml; charset=windows-1252")], b"<a>\x80</a>", "https://a/"
    )
    assert parse_response(response, None).body == {"a": ["\u20ac"]}
