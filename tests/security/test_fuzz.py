"""Bounded fuzz tests: hostile input gives imlconnect's own errors, never a crash or a hang.

Each target gets about 300 derandomized examples, so CI runs the same cases every time. Every
call must either return or raise a subclass of `ImlconnectError`, and must finish in under two
seconds. The number of examples run is printed at the end of the module.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imlconnect.errors import ImlconnectError
from imlconnect.http import WireResponse, parse_response
from imlconnect.http.parse import RESPONSE_TYPES
from imlconnect.iml import compile_template
from imlconnect.params import parse_parameters, validate_values
from imlconnect.spec import load_connection, parse_imljson

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
TIME_BOUND_S = 2.0
EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

#: Examples run per target, printed by the module fixture below.
RUN_COUNTS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    total = sum(RUN_COUNTS.values())
    details = ", ".join(f"{name} {count}" for name, count in sorted(RUN_COUNTS.items()))
    print(f"\nfuzz cases run: {total} ({details})")


def bounded(target: str, call: Callable[[], Any]) -> None:
    """Run `call`; only imlconnect errors may escape, and it must end within the time bound."""
    RUN_COUNTS[target] += 1
    started = time.monotonic()
    try:
        call()
    except ImlconnectError:
        pass
    elapsed = time.monotonic() - started
    assert elapsed < TIME_BOUND_S, f"{target} took {elapsed:.2f} s"


# --- strategies ------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def xml_bomb(levels: int) -> bytes:
    entities = ['<!ENTITY e0 "boom">']
    for level in range(1, levels + 1):
        entities.append(f'<!ENTITY e{level} "{f"&e{level - 1};" * 10}">')
    return f'<?xml version="1.0"?><!DOCTYPE r [{"".join(entities)}]><r>&e{levels};</r>'.encode()


def nested(opening: str, closing: str, depth: int) -> bytes:
    return (opening * depth + closing * depth).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    json_like.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 5000).map(lambda depth: nested("[", "]", depth)),
    st.integers(1, 5000).map(lambda depth: nested('{"a":', "}", depth) if depth < 5 else nested("[{", "}]", depth)),
    st.integers(1, 3000).map(lambda depth: nested("<a>", "</a>", depth)),
    st.integers(1, 9).map(xml_bomb),
    st.just(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'),
    st.just(b"<r a='1' a='2'><b>t</b>tail<c/></r>"),
    st.from_regex(r"[a-z%&=+\[\]]{0,40}", fullmatch=True).map(str.encode),
)
media_types = st.sampled_from([
    "application/json", "text/json", "application/problem+json", "application/x-www-form-urlencoded",
    "application/xml", "text/xml", "application/atom+xml", "text/plain", "text/html",
    "application/octet-stream", "", "image/png",
])
charsets = st.one_of(
    st.sampled_from(["", "utf-8", "UTF-8", "latin-1", "utf-16", "utf-32", "shift_jis", "bogus", "utf-8-sig",
                     "\"utf-8\"", "cp1252", "ascii", "rot13", "hex", "zlib"]),
    st.text(max_size=12),
)
content_types = st.one_of(
    st.builds(lambda media, charset: f"{media}; charset={charset}" if charset else media, media_types, charsets),
    st.text(max_size=40),
)
range_keys = st.one_of(st.sampled_from(["*", "200", "200-299", "400-499", "1-999", "500"]), st.text(max_size=8))
response_types = st.one_of(
    st.none(),
    st.sampled_from(RESPONSE_TYPES),
    st.text(max_size=12),
    st.dictionaries(range_keys, st.one_of(st.sampled_from(RESPONSE_TYPES), st.text(max_size=8), scalars),
                    max_size=4),
)


# --- parse_response --------------------------------------------------------------------------


@FUZZ
@given(body=bodies, content_type=content_types, response_type=response_types, status=st.integers(100, 999),
       extra=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=20)), max_size=4))
def test_fuzz_parse_response(body: bytes, content_type: str, response_type: Any, status: int,
                             extra: list[tuple[str, str]]) -> None:
    response = WireResponse(status=status, reason="", headers=[("Content-Type", content_type), *extra], body=body,
                            url="https://api.example.com/")
    bounded("parse_response", lambda: parse_response(response, response_type, max_depth=64))


# --- IMLJSON reader --------------------------------------------------------------------------


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".imljson", ".jsonc", ".iml") and path.stat().st_size < 50_000:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts[:80]


CORPUS_TEXTS = corpus_texts()


@st.composite
def mutated_corpus(draw: st.DrawFn) -> str:
    """A corpus file with a few characters inserted, deleted or replaced."""
    if not CORPUS_TEXTS:
        return draw(st.text(max_size=200))
    text = draw(st.sampled_from(CORPUS_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(['"', "{", "}", "[", "]", ",", ":", "/*", "//", "\n", "\\", "'", "\x00",
                                      "\ud800", "1e999", "{{", "}}"]))
        if action == "insert":
            text = text[:position] + piece + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + len(piece):]
        else:
            text = text[:position] + piece + text[position + 1:]
    return text


@FUZZ
@given(text=st.one_of(st.text(max_size=300), mutated_corpus(), st.integers(1, 3000).map(lambda n: "[" * n)))
def test_fuzz_imljson_reader(text: str) -> None:
    bounded("parse_imljson", lambda: parse_imljson(text, file="fuzz.imljson"))


# --- load_connection -------------------------------------------------------------------------

DIRECTIVES = ["url", "method", "headers", "qs", "body", "type", "temp", "condition", "response", "log", "ca",
              "timeout", "encodeUrl", "followRedirects", "gzip", "followAllRedirects"]
RESPONSE_KEYS = ["type", "valid", "error", "data", "metadata", "uid", "temp", "output", "limit", "iterate"]
PARAMETER_KEYS = ["name", "type", "label", "required", "default", "options", "nested", "spec", "validate",
                  "help", "editable", "sensitive", "mappable", "advanced"]
PARAMETER_TYPES = ["text", "password", "email", "url", "number", "integer", "uinteger", "boolean", "select",
                   "array", "collection", "date", "timezone", "cert", "pkey", "port", "hidden", "banner", "any",
                   "nonsense"]
iml_strings = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["{{parameters.apiKey}}", "{{body.id}}", "{{if(body.ok; 1; 2)}}", "{{", "}}{{", "{{a b}}",
                     "{{unknownFunction(1)}}", "{{parseJSON('[')}}", "https://api.example.com/{{1+}}",
                     "{{...}}", "{{'\\u12'}}", "{{(((((((((1)))))))))}}"]),
)
values = st.one_of(iml_strings, json_like)


@st.composite
def request_like(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(DIRECTIVES), max_size=6, unique=True))
    request: dict[str, Any] = {key: draw(values) for key in keys}
    if draw(st.booleans()):
        request["url"] = draw(iml_strings)
    if "response" in request and draw(st.booleans()):
        response_keys = draw(st.lists(st.sampled_from(RESPONSE_KEYS), max_size=5, unique=True))
        request["response"] = {key: draw(values) for key in response_keys}
    return request


@st.composite
def parameter_like(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_like)
    keys = draw(st.lists(st.sampled_from(PARAMETER_KEYS), max_size=6, unique=True))
    field: dict[str, Any] = {key: draw(values) for key in keys}
    field["name"] = draw(st.one_of(st.text(max_size=8), json_like))
    field["type"] = draw(st.one_of(st.sampled_from(PARAMETER_TYPES), json_like))
    return field


parameter_lists = st.one_of(st.lists(parameter_like(), max_size=5), json_like)
bundles = st.fixed_dictionaries(
    {},
    optional={
        "communication": st.one_of(request_like(), st.lists(request_like(), max_size=3), json_like),
        "parameters": parameter_lists,
        "common": json_like,
        "base": st.one_of(st.fixed_dictionaries({"baseUrl": iml_strings}), json_like),
    },
)


@pytest.fixture(scope="module")
def bundle_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-bundles")


@FUZZ
@given(bundle=st.one_of(bundles, json_like))
def test_fuzz_load_connection(bundle: Any, bundle_folder: Path) -> None:
    path = bundle_folder / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    bounded("load_connection", lambda: load_connection(path))


# --- parameters ------------------------------------------------------------------------------


@FUZZ
@given(raw=parameter_lists, user_values=st.one_of(st.dictionaries(st.text(max_size=8), json_like, max_size=5),
                                                   json_like),
       source=st.sampled_from(["json", "text"]))
def test_fuzz_parameters(raw: Any, user_values: Any, source: str) -> None:
    def run() -> None:
        spec, _ = parse_parameters(raw, file="fuzz.json")
        if source == "text" and isinstance(user_values, dict):
            text_values = {key: value if isinstance(value, str) else json.dumps(value)
                           for key, value in user_values.items()}
            validate_values(spec, text_values, source="text")
        else:
            validate_values(spec, user_values, source="json")

    bounded("parameters", run)


# --- IML templates ---------------------------------------------------------------------------

iml_alphabet = st.sampled_from(list("{}()[]'\".,;:+-*/%!=<>&|` \\abcxyz019_") + ["{{", "}}", "if(", "get(",
                                                                                   "parameters.", "\u00e9", "\x00"])
templates = st.one_of(
    st.text(max_size=120),
    st.lists(iml_alphabet, max_size=60).map("".join),
    st.lists(iml_alphabet, max_size=60).map(lambda parts: "{{" + "".join(parts) + "}}"),
    st.integers(1, 3000).map(lambda depth: "{{" + "(" * depth + "1" + ")" * depth + "}}"),
    st.integers(1, 3000).map(lambda depth: "{{" + "-" * depth + "1}}"),
)


@FUZZ
@given(source=templates)
def test_fuzz_compile_template(source: str) -> None:
    bounded("compile_template", lambda: compile_template(source))


# --- cases these fuzz targets once found ------------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "text/plain; charset=zlib", "application/json; charset=hex", "text/xml; charset=rot13", "text/plain; charset=a\x00b",
])
def test_parse_response_odd_charset(content_type: str) -> None:
    response = WireResponse(status=200, reason="OK", headers=[("Content-Type", content_type)], body=b"<a>1</a>",
                            url="https://api.example.com/")
    # Codecs that do not decode to text, and names with NUL, fall back to UTF-8: the body is
    # then parsed (or rejected) as if no charset were named.
    plain = WireResponse(status=200, reason="OK", headers=[("Content-Type", content_type.split(";")[0])],
                         body=b"<a>1</a>", url="https://api.example.com/")
    try:
        expected = parse_response(plain, None).body
    except ImlconnectError as error:
        with pytest.raises(type(error)):
            parse_response(response, None)
    else:
        assert parse_response(response, None).body == expected
