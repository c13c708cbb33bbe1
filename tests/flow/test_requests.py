"""Request directives end to end: the exact request each one puts on the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest

import imlconnect
from support.server import ApiServer, Reply

KEY_PARAMS = [{"name": "apiKey", "type": "password", "required": True}]


def run(write_bundle: Any, communication: Any, params: dict[str, Any] | None = None, **extra: Any) -> Any:
    path = write_bundle(communication, extra.pop("parameters", KEY_PARAMS), **extra)
    return imlconnect.verify(path, params if params is not None else {"apiKey": "k-123456"},
                             allow_private_network=True)


def test_url_method_headers(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    result = run(write_bundle, {
        "url": f"{api.url}/v1/me",
        "method": "put",
        "headers": {"X-Api-Key": "{{parameters.apiKey}}", "X-Skip": "{{undefined}}", "X-Null": None,
                    "X-Number": 5, "x-api-key": "{{parameters.apiKey}}-last"},
    })
    assert result.ok
    sent = api.requests[0]
    assert sent.method == "PUT"
    assert sent.path == "/v1/me"
    assert sent.header("X-Api-Key") == "k-123456-last"
    assert sent.header("X-Skip") is None
    assert sent.header("X-Null") is None
    assert sent.header("X-Number") == "5"


def test_qs_replaces_url_query(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    result = run(write_bundle, {
        "url": f"{api.url}/search?old=1",
        "qs": {"q": "a b", "n": 2, "flag": True, "none": None, "gone": "{{undefined}}",
               "obj": {"x": "1"}, "list": ["a", "b"]},
    })
    assert result.ok
    assert api.requests[0].query == "q=a%20b&n=2&flag=true&none=&obj%5Bx%5D=1&list%5B0%5D=a&list%5B1%5D=b"


def test_empty_qs_removes_query(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/x?drop=me", "qs": {}}).ok
    assert api.requests[0].query == ""


def test_encode_url_default_and_off(api: ApiServer, write_bundle: Any) -> None:
    api.queue.extend([Reply(json={}), Reply(json={})])
    assert run(write_bundle, {"url": f"{api.url}/a b/ü?x=%41"}).ok
    assert run(write_bundle, {"url": f"{api.url}/raw%20path", "encodeUrl": False}).ok
    assert api.requests[0].path == "/a%20b/%C3%BC"
    assert api.requests[0].query == "x=%41"
    assert api.requests[1].path == "/raw%20path"


def test_json_body_drops_undefined(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    result = run(write_bundle, {
        "url": f"{api.url}/login", "method": "POST",
        "body": {"key": "{{parameters.apiKey}}", "missing": "{{parameters.nothing}}", "n": 1.5,
                 "when": "{{parseDate('2024-05-01', 'YYYY-MM-DD')}}", "list": [1, "{{true}}"]},
    })
    assert result.ok
    sent = api.requests[0]
    assert sent.header("Content-Type") == "application/json"
    assert sent.json() == {"key": "k-123456", "n": 1.5, "when": "2024-05-01T00:00:00.000Z", "list": [1, True]}


def test_whole_parameters_as_body(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/x", "method": "POST", "body": "{{parameters}}"}).ok
    assert api.requests[0].json() == {"apiKey": "k-123456"}


def test_urlencoded_body(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {
        "url": f"{api.url}/token", "method": "POST", "type": "urlencoded",
        "body": {"grant_type": "client_credentials", "secret": "{{parameters.apiKey}}", "scope": ["a", "b"]},
    }).ok
    sent = api.requests[0]
    assert sent.header("Content-Type") == "application/x-www-form-urlencoded"
    assert sent.body == b"grant_type=client_credentials&secret=k-123456&scope%5B0%5D=a&scope%5B1%5D=b"


def test_multipart_body(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {
        "url": f"{api.url}/upload", "method": "POST", "type": "multipart/form-data",
        "body": {"owner": "ada", "file": {"value": "{{toBinary('hello')}}",
                                          "options": {"filename": "a.txt", "contentType": "text/plain"}}},
    }).ok
    sent = api.requests[0]
    assert sent.header("Content-Type").startswith("multipart/form-data; boundary=")
    assert b'name="owner"' in sent.body
    assert b'filename="a.txt"' in sent.body
    assert b"hello" in sent.body


@pytest.mark.parametrize("body_type", ["text", "string", "raw"])
def test_text_bodies(api: ApiServer, write_bundle: Any, body_type: str) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/t", "method": "POST", "type": body_type,
                              "body": "key={{parameters.apiKey}}"}).ok
    assert api.requests[0].body == b"key=k-123456"


def test_binary_body(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/b", "method": "POST", "type": "binary",
                              "body": "{{toBinary('00ff', 'hex')}}"}).ok
    assert api.requests[0].body == b"\x00\xff"


def test_get_ignores_body(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/g", "body": {"a": 1}}).ok
    assert api.requests[0].body == b""
    assert api.requests[0].header("Content-Type") is None


def test_condition_forms(api: ApiServer, write_bundle: Any) -> None:
    api.routes[("GET", "/yes")] = Reply(json={})
    result = run(write_bundle, [
        {"url": f"{api.url}/no1", "condition": False},
        {"url": f"{api.url}/no2", "condition": "{{parameters.apiKey == 'other'}}"},
        {"url": f"{api.url}/no3", "condition": {"condition": "{{false}}", "default": {}}},
        {"url": f"{api.url}/yes", "condition": "{{parameters.apiKey}}"},
    ])
    assert result.ok
    assert [request.path for request in api.requests] == ["/yes"]


def test_temp_carries_between_requests(api: ApiServer, write_bundle: Any) -> None:
    api.routes[("POST", "/session")] = Reply(json={"token": "tok-1"})
    api.routes[("GET", "/me")] = Reply(json={"id": 7})
    result = run(write_bundle, [
        {"url": f"{api.url}/session", "method": "POST", "temp": {"stage": "one"},
         "response": {"temp": {"token": "{{body.token}}"}}},
        {"url": f"{api.url}/me", "temp": {"header": "Bearer {{temp.token}}"},
         "headers": {"Authorization": "{{temp.header}}", "X-Stage": "{{temp.stage}}"},
         "response": {"uid": "{{body.id}}"}},
    ])
    assert result.ok
    assert result.uid == "7"
    assert api.requests[1].header("Authorization") == "Bearer tok-1"
    assert api.requests[1].header("X-Stage") == "one"


def test_temp_values_cannot_see_each_other(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/t", "temp": {"a": "x", "b": "{{temp.a}}-y"},
                              "headers": {"X-B": "{{temp.b}}"}}).ok
    assert api.requests[0].header("X-B") == "-y"


def test_connection_variable_in_own_spec(api: ApiServer, write_bundle: Any) -> None:
    api.routes[("GET", "/a")] = Reply(json={"token": "t-9"})
    api.routes[("GET", "/b")] = Reply(json={})
    assert run(write_bundle, [
        {"url": f"{api.url}/a", "headers": {"X-Key": "{{connection.apiKey}}"},
         "response": {"data": {"token": "{{body.token}}"}}},
        {"url": f"{api.url}/b", "headers": {"X-Token": "{{connection.token}}"}},
    ]).ok
    assert api.requests[0].header("X-Key") == "k-123456"
    assert api.requests[1].header("X-Token") == "t-9"


def test_relative_url_uses_base(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": "/me"}, base={"baseUrl": f"{api.url}/v2"}).ok
    assert api.requests[0].path == "/v2/me"


def test_base_url_reads_connection(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    params = [*KEY_PARAMS, {"name": "host", "type": "text", "required": True}]
    assert run(write_bundle, {"url": "/me"}, {"apiKey": "k-123456", "host": api.url},
               parameters=params, base={"baseUrl": "{{connection.host}}/api"}).ok
    assert api.requests[0].path == "/api/me"


def test_redirect_303_becomes_get(api: ApiServer, write_bundle: Any) -> None:
    api.routes[("POST", "/login")] = Reply(303, headers={"Location": "@BASE@/me"})
    api.routes[("GET", "/me")] = Reply(json={"id": 1})
    result = run(write_bundle, {"url": f"{api.url}/login", "method": "POST", "body": {"a": 1},
                                "response": {"uid": "{{body.id}}"}})
    assert result.uid == "1"
    assert [(r.method, r.path, r.body) for r in api.requests] == [("POST", "/login", b'{"a":1}'), ("GET", "/me", b"")]


def test_redirect_307_keeps_body(api: ApiServer, write_bundle: Any) -> None:
    api.routes[("POST", "/login")] = Reply(307, headers={"Location": "@BASE@/login2"})
    api.routes[("POST", "/login2")] = Reply(json={})
    assert run(write_bundle, {"url": f"{api.url}/login", "method": "POST", "body": {"a": 1}}).ok
    assert api.requests[1].method == "POST"
    assert api.requests[1].json() == {"a": 1}


def test_follow_redirects_off(api: ApiServer, write_bundle: Any) -> None:
    api.routes[("GET", "/old")] = Reply(302, headers={"Location": "@BASE@/new"})
    result = run(write_bundle, {"url": f"{api.url}/old", "followRedirects": False,
                                "response": {"data": {"status": "{{statusCode}}"}}})
    assert result.ok
    assert result.data == {"status": 302}
    assert len(api.requests) == 1


def test_gzip_response_decoded(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={"name": "zipped"}, gzip=True))
    result = run(write_bundle, {"url": f"{api.url}/z", "gzip": True,
                                "response": {"metadata": {"type": "text", "value": "{{body.name}}"}}})
    assert result.metadata == {"type": "text", "value": "zipped"}
    assert "gzip" in (api.requests[0].header("Accept-Encoding") or "")


def test_timeout_is_connection_error(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}, delay=1.5))
    result = run(write_bundle, {"url": f"{api.url}/slow", "timeout": 300})
    assert not result.ok
    assert result.error.type == "ConnectionError"
    assert "timed out" in result.error.message


def test_refused_connection_is_connection_error(write_bundle: Any) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(write_bundle, {"url": f"http://127.0.0.1:{port}/x"})
    assert result.error.type == "ConnectionError"
    assert result.error.status is None


def test_method_template(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    assert run(write_bundle, {"url": f"{api.url}/m", "method": "{{'DELETE'}}"}).ok
    assert api.requests[0].method == "DELETE"


def test_spread_key_in_headers(api: ApiServer, write_bundle: Any) -> None:
    api.queue.append(Reply(json={}))
    params = [{"name": "extra", "type": "array", "spec": [{"name": "key", "type": "text"},
                                                          {"name": "value", "type": "text"}]}]
    assert run(write_bundle, {"url": f"{api.url}/s", "headers": {
        "X-A": "first", "{{...}}": "{{toCollection(parameters.extra, 'key', 'value')}}"}},
        {"extra": [{"key": "X-A", "value": "second"}, {"key": "X-B", "value": "b"}]}, parameters=params).ok
    assert api.requests[0].header("X-A") == "second"
    assert api.requests[0].header("X-B") == "b"


def test_request_json_unchanged_by_run(api: ApiServer, write_bundle: Any) -> None:
    api.queue.extend([Reply(json={}), Reply(json={})])
    path = write_bundle({"url": f"{api.url}/x", "body": {"a": "{{parameters.apiKey}}"}, "method": "POST"}, KEY_PARAMS)
    spec = imlconnect.load_connection(path)
    first = imlconnect.verify(spec, {"apiKey": "one-1234"}, allow_private_network=True)
    second = imlconnect.verify(spec, {"apiKey": "two-1234"}, allow_private_network=True)
    assert first.ok and second.ok
    assert [json.loads(r.body) for r in api.requests] == [{"a": "one-1234"}, {"a": "two-1234"}]
