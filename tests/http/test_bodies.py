"""Request body encoders: exact bytes and Content-Type for every request type."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from imlconnect.http.bodies import (
    BODY_TYPES,
    encode_body,
    encode_json,
    encode_multipart,
    normalize_body_type,
    to_json_text,
)
from imlconnect.http.models import RequestBuildError
from imlconnect.iml.values import UNDEFINED

MOMENT = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
BOUNDARY = "XyZ"

# --- json ---------------------------------------------------------------------------------


def test_json_compact_separators() -> None:
    assert encode_json({"a": 1, "b": [1, 2]}) == b'{"a":1,"b":[1,2]}'


def test_json_drops_undefined_keys() -> None:
    assert encode_json({"a": UNDEFINED, "b": None}) == b'{"b":null}'


def test_json_undefined_array_item_is_null() -> None:
    assert encode_json([1, UNDEFINED]) == b"[1,null]"


def test_json_date_iso() -> None:
    assert encode_json({"d": MOMENT}) == b'{"d":"2024-05-01T10:00:00.000Z"}'


def test_json_numbers_as_javascript() -> None:
    assert encode_json([1.0, 1.5, 1e21, 1e-7, -0.0]) == b"[1,1.5,1e+21,1e-7,0]"


def test_json_non_finite_is_null() -> None:
    assert encode_json([float("nan"), float("inf")]) == b"[null,null]"


def test_json_booleans_and_null() -> None:
    assert encode_json([True, False, None]) == b"[true,false,null]"


def test_json_unicode_raw_utf8() -> None:
    assert encode_json({"é": "ü\u2028"}) == '{"é":"ü\u2028"}'.encode()


def test_json_escapes_like_javascript() -> None:
    assert to_json_text('q"b\\n\n\t\x01/') == '"q\\"b\\\\n\\n\\t\\u0001/"'


def test_json_lone_surrogate_escaped() -> None:
    assert to_json_text("a\ud800") == '"a\\ud800"'


def test_json_nested_bytes_as_node_buffer() -> None:
    assert encode_json({"b": b"\x00\xff"}) == b'{"b":{"type":"Buffer","data":[0,255]}}'


def test_json_string_body_unchanged() -> None:
    assert encode_json('{"already": "json"}') == b'{"already": "json"}'


def test_json_bytes_body_unchanged() -> None:
    assert encode_json(b"\x01\x02") == b"\x01\x02"


def test_json_scalar_body() -> None:
    assert encode_json(5) == b"5"


def test_json_empty_containers() -> None:
    assert encode_json({"a": {}, "b": []}) == b'{"a":{},"b":[]}'


def test_json_keys_in_written_order() -> None:
    assert encode_json({"b": 1, "a": 2}) == b'{"b":1,"a":2}'


def test_json_too_deep_raises() -> None:
    nested: list[object] = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(RequestBuildError, match="nested too deeply"):
        encode_json(nested)


def test_json_content_type() -> None:
    assert encode_body({"a": 1}, "json").content_type == "application/json"


# --- urlencoded ---------------------------------------------------------------------------


def test_urlencoded_object_as_qs() -> None:
    body = encode_body({"a": "x y", "n": None, "u": UNDEFINED, "o": {"b": [1]}}, "urlencoded")
    assert body.content == b"a=x%20y&n=&o%5Bb%5D%5B0%5D=1"


def test_urlencoded_string_unchanged() -> None:
    assert encode_body("a=1&b=2", "urlencoded").content == b"a=1&b=2"


def test_urlencoded_content_type() -> None:
    assert encode_body({"a": 1}, "urlencoded").content_type == "application/x-www-form-urlencoded"


# --- text and binary ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "string", "raw"])
def test_text_string_as_utf8(kind: str) -> None:
    assert encode_body("héllo", kind).content == "héllo".encode()


@pytest.mark.parametrize("kind", ["text", "string", "raw"])
def test_text_content_type(kind: str) -> None:
    assert encode_body("x", kind).content_type == "text/plain; charset=utf-8"


def test_text_object_as_json() -> None:
    assert encode_body({"a": UNDEFINED, "b": MOMENT}, "text").content == b'{"b":"2024-05-01T10:00:00.000Z"}'


def test_text_number_as_json() -> None:
    assert encode_body(2.50, "text").content == b"2.5"


def test_text_bytes_unchanged() -> None:
    assert encode_body(b"\xff", "raw").content == b"\xff"


def test_binary_bytes_unchanged() -> None:
    assert encode_body(b"\x00\xff", "binary").content == b"\x00\xff"


def test_binary_string_as_utf8() -> None:
    assert encode_body("é", "binary").content == b"\xc3\xa9"


def test_binary_content_type() -> None:
    assert encode_body(b"", "binary").content_type == "application/octet-stream"


# --- multipart ----------------------------------------------------------------------------


def test_multipart_text_fields() -> None:
    content = encode_multipart({"a": "x", "n": 3, "t": True, "d": MOMENT}, BOUNDARY)
    assert content == (
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="n"\r\n\r\n3\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="t"\r\n\r\ntrue\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="d"\r\n\r\n2024-05-01T10:00:00.000Z\r\n'
        b"--XyZ--\r\n"
    )


def test_multipart_array_repeats_field() -> None:
    content = encode_multipart({"tag": ["a", "b"]}, BOUNDARY)
    assert content == (
        b'--XyZ\r\nContent-Disposition: form-data; name="tag"\r\n\r\na\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="tag"\r\n\r\nb\r\n'
        b"--XyZ--\r\n"
    )


def test_multipart_bytes_part() -> None:
    content = encode_multipart({"f": b"\x00\x01"}, BOUNDARY)
    assert content == (
        b'--XyZ\r\nContent-Disposition: form-data; name="f"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n"
        b"--XyZ--\r\n"
    )


def test_multipart_file_with_options() -> None:
    file = {"value": b"PNG", "options": {"filename": "a.bin", "contentType": "image/png"}}
    content = encode_multipart({"file": file}, BOUNDARY)
    assert content == (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: image/png\r\n\r\nPNG\r\n"
        b"--XyZ--\r\n"
    )


def test_multipart_content_type_from_filename() -> None:
    file = {"value": b"x", "options": {"filename": "photo.png"}}
    assert b"Content-Type: image/png\r\n" in encode_multipart({"f": file}, BOUNDARY)


def test_multipart_unknown_extension_bytes_default() -> None:
    file = {"value": b"x", "options": {"filename": "data.zzzunknown"}}
    assert b"Content-Type: application/octet-stream\r\n" in encode_multipart({"f": file}, BOUNDARY)


def test_multipart_text_file_value() -> None:
    file = {"value": "hello", "options": "notes.txt"}
    content = encode_multipart({"f": file}, BOUNDARY)
    assert content == (
        b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="notes.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n"
        b"--XyZ--\r\n"
    )


def test_multipart_skips_null_and_undefined() -> None:
    content = encode_multipart({"a": None, "b": UNDEFINED, "c": [None, "x"]}, BOUNDARY)
    assert content == b'--XyZ\r\nContent-Disposition: form-data; name="c"\r\n\r\nx\r\n--XyZ--\r\n'


def test_multipart_skips_file_without_value() -> None:
    assert encode_multipart({"f": {"value": None, "options": {}}}, BOUNDARY) == b"--XyZ--\r\n"


def test_multipart_escapes_names() -> None:
    content = encode_multipart({'a"b\r\nc': "x"}, BOUNDARY)
    assert b'name="a%22b%0D%0Ac"' in content


def test_multipart_empty_body() -> None:
    assert encode_multipart({}, BOUNDARY) == b"--XyZ--\r\n"


def test_multipart_rejects_non_collection() -> None:
    with pytest.raises(RequestBuildError, match="must be a collection"):
        encode_multipart("a=1", BOUNDARY)


def test_multipart_rejects_plain_collection_field() -> None:
    with pytest.raises(RequestBuildError, match="field 'meta' is a collection"):
        encode_multipart({"meta": {"a": 1}}, BOUNDARY)


def test_multipart_rejects_content_type_line_break() -> None:
    file = {"value": b"x", "options": {"contentType": "text/plain\r\nX-Evil: 1"}}
    with pytest.raises(RequestBuildError, match="line break"):
        encode_multipart({"f": file}, BOUNDARY)


def test_multipart_random_boundary_matches_header() -> None:
    body = encode_body({"a": "x"}, "multipart/form-data")
    assert body.content_type is not None
    boundary = body.content_type.partition("boundary=")[2]
    assert re.fullmatch(r"----imlconnect[0-9a-f]{32}", boundary)
    assert body.content.startswith(f"--{boundary}\r\n".encode())
    assert body.content.endswith(f"--{boundary}--\r\n".encode())


def test_multipart_boundaries_differ() -> None:
    first = encode_body({"a": "x"}, "multipart/form-data").content_type
    second = encode_body({"a": "x"}, "multipart/form-data").content_type
    assert first != second


def test_multipart_fixed_boundary() -> None:
    body = encode_body({"a": "x"}, "multipart/form-data", boundary=BOUNDARY)
    assert body.content_type == "multipart/form-data; boundary=XyZ"


# --- type names ---------------------------------------------------------------------------


def test_body_type_default_json() -> None:
    assert normalize_body_type(None) == "json"


def test_body_type_case_insensitive() -> None:
    assert normalize_body_type(" URLEncoded ") == "urlencoded"


def test_body_type_unknown_rejected() -> None:
    with pytest.raises(RequestBuildError, match="'form' is not supported"):
        normalize_body_type("form")


def test_body_types_listed() -> None:
    assert set(BODY_TYPES) == {"json", "urlencoded", "multipart/form-data", "text", "string", "raw", "binary"}
