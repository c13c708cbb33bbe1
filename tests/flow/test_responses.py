"""Response rules end to end: parsing, validity, typed errors, data, metadata and uid."""

from __future__ import annotations

from typing import Any

import pytest

import imlconnect
from support.server import ApiServer, Reply


def run(api: ApiServer, write_bundle: Any, response: dict[str, Any] | None, *replies: Reply,
        data: dict[str, Any] | None = None) -> Any:
    api.queue.extend(replies)
    communication: dict[str, Any] = {"url": f"{api.url}/check"}
    if response is not None:
        communication["response"] = response
    path = write_bundle(communication)
    return imlconnect.verify(path, {}, data=data, allow_private_network=True)


# --- parsing ---------------------------------------------------------------------------------


def test_automatic_json(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"v": "{{body.a.b}}"}},
                 Reply(body='{"a": {"b": 3}}', headers={"Content-Type": "application/vnd.api+json"}))
    assert result.data == {"v": 3}


def test_automatic_urlencoded(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"t": "{{body.token}}"}},
                 Reply(body="token=abc&x=1", headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert result.data == {"t": "abc"}


def test_automatic_xml(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"n": "{{body.user[].name[]}}", "id": "{{body.user[]._attributes.id}}"}},
                 Reply(body='<user id="5"><name>Ada</name></user>', headers={"Content-Type": "text/xml"}))
    assert result.data == {"n": "Ada", "id": "5"}


def test_automatic_text(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"t": "{{body}}"}},
                 Reply(body="pong", headers={"Content-Type": "text/plain; charset=utf-8"}))
    assert result.data == {"t": "pong"}


def test_automatic_binary(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"size": "{{length(body)}}"}},
                 Reply(body=b"\x89PNG\x00", headers={"Content-Type": "image/png"}))
    assert result.data == {"size": 5}


def test_forced_type_over_content_type(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"type": "text", "data": {"raw": "{{body}}"}},
                 Reply(body='{"a": 1}', headers={"Content-Type": "application/json"}))
    assert result.data == {"raw": '{"a": 1}'}


def test_type_by_status_range(api: ApiServer, write_bundle: Any) -> None:
    response = {"type": {"*": "json", "200-299": "text", "201": "json"}, "data": {"raw": "{{body}}"}}
    result = run(api, write_bundle, response, Reply(200, body='{"a": 1}'))
    assert result.data == {"raw": '{"a": 1}'}


def test_charset_from_content_type(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"t": "{{body}}"}},
                 Reply(body="čaj".encode("iso-8859-2"), headers={"Content-Type": "text/plain; charset=iso-8859-2"}))
    assert result.data == {"t": "čaj"}


def test_empty_body_is_undefined(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"type": "json", "data": {"kind": "{{if(body == undefined, 'none', 'some')}}"}},
                 Reply(204))
    assert result.ok
    assert result.data == {"kind": "none"}


def test_bad_json_below_400_is_runtime_error(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"type": "json"}, Reply(200, body="{not json"))
    assert result.error.type == "RuntimeError"
    assert "json" in result.error.message.lower()
    assert result.error.status == 200


def test_bad_json_at_400_becomes_text(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"type": "json", "error": "Server said: {{body}}"},
                 Reply(400, body="<html>oops</html>"))
    assert result.error.message == "Server said: <html>oops</html>"
    assert result.error.status == 400


# --- validity and errors -----------------------------------------------------------------------


def test_status_400_always_error(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"valid": True}, Reply(404, json={}))
    assert (result.error.type, result.error.message, result.error.status) == ("RuntimeError", "[404] Not Found", 404)


@pytest.mark.parametrize("status, error_type", [(429, "RateLimitError"), (500, "ConnectionError"),
                                                (503, "ConnectionError"), (401, "RuntimeError")])
def test_default_type_mapping(api: ApiServer, write_bundle: Any, status: int, error_type: str) -> None:
    result = run(api, write_bundle, None, Reply(status, json={}))
    assert result.error.type == error_type
    assert result.error.status == status


def test_valid_string_false(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"valid": "{{body.ok}}"}, Reply(json={"ok": False}))
    assert (result.error.type, result.error.message) == ("RuntimeError", "Response marked as invalid.")


def test_valid_boolean_false(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"valid": False}, Reply(json={}))
    assert result.error.message == "Response marked as invalid."


def test_valid_object_message_and_type(api: ApiServer, write_bundle: Any) -> None:
    response = {"valid": {"condition": "{{body.plan != 'free'}}", "message": "Plan {{body.plan}} has no API.",
                          "type": "InvalidConfigurationError"},
                "error": {"message": "generic", "type": "DataError"}}
    result = run(api, write_bundle, response, Reply(json={"plan": "free"}))
    assert (result.error.type, result.error.message, result.error.status) == (
        "InvalidConfigurationError", "Plan free has no API.", 200)


def test_valid_failure_uses_status_entry(api: ApiServer, write_bundle: Any) -> None:
    response = {"valid": "{{false}}", "error": {"200": {"message": "OK but wrong", "type": "DataError"}}}
    result = run(api, write_bundle, response, Reply(json={}))
    assert (result.error.type, result.error.message) == ("DataError", "OK but wrong")


def test_error_string(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"error": "[{{statusCode}}] {{body.message}}"}, Reply(401, json={"message": "bad key"}))
    assert (result.error.type, result.error.message) == ("RuntimeError", "[401] bad key")


def test_error_status_entry_wins(api: ApiServer, write_bundle: Any) -> None:
    response = {"error": {"message": "generic {{statusCode}}", "type": "DataError",
                          "401": {"message": "Key rejected: {{body.detail}}", "type": "InvalidAccessTokenError"}}}
    result = run(api, write_bundle, response, Reply(401, json={"detail": "expired"}))
    assert (result.error.type, result.error.message) == ("InvalidAccessTokenError", "Key rejected: expired")


def test_error_status_entry_without_type(api: ApiServer, write_bundle: Any) -> None:
    response = {"error": {"message": "generic", "type": "DataError", "402": {"message": "Pay up"}}}
    result = run(api, write_bundle, response, Reply(402, json={}))
    assert (result.error.type, result.error.message) == ("DataError", "Pay up")


def test_empty_message_falls_back(api: ApiServer, write_bundle: Any) -> None:
    response = {"error": {"message": "{{body.missing}}", "403": {"message": "{{body.none}}"}}}
    result = run(api, write_bundle, response, Reply(403, json={}))
    assert result.error.message == "[403] Forbidden"


def test_rate_limit_default_with_message(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"error": {"message": "Slow down"}}, Reply(429, json={}))
    assert (result.error.type, result.error.message) == ("RateLimitError", "Slow down")


def test_unknown_error_type_is_runtime_error(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"error": {"message": "x", "type": "InvalidCredentials"}}, Reply(401, json={}))
    assert result.error.type == "RuntimeError"


@pytest.mark.parametrize("error_type", ["RuntimeError", "DataError", "RateLimitError", "OutOfSpaceError",
                                        "ConnectionError", "InvalidConfigurationError", "InvalidAccessTokenError",
                                        "IncompleteDataError", "DuplicateDataError"])
def test_every_error_type(api: ApiServer, write_bundle: Any, error_type: str) -> None:
    result = run(api, write_bundle, {"error": {"message": "m", "type": error_type}}, Reply(400, json={}))
    assert result.error.type == error_type


def test_error_sees_response_headers(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"error": "retry after {{headers.`retry-after`}}"},
                 Reply(429, json={}, headers={"Retry-After": "30"}))
    assert result.error.message == "retry after 30"


# --- data, metadata, uid ------------------------------------------------------------------------


def test_data_deep_merges_into_stored(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"a": {"y": "{{body.y}}"}, "skip": "{{body.nothing}}"}},
                 Reply(json={"y": 2}), data={"a": {"x": 1}, "keep": True})
    assert result.data == {"a": {"x": 1, "y": 2}, "keep": True}


def test_metadata_email_and_default_type(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"metadata": {"value": "{{body.email}}"}}, Reply(json={"email": "a@b.c"}))
    assert result.metadata == {"type": "text", "value": "a@b.c"}


def test_uid_is_text(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"uid": "{{body.id}}"}, Reply(json={"id": 12345678901}))
    assert result.uid == "12345678901"


def test_response_temp_runs_first(api: ApiServer, write_bundle: Any) -> None:
    response = {"temp": {"name": "{{upper(body.name)}}"}, "metadata": {"type": "text", "value": "{{temp.name}}"}}
    result = run(api, write_bundle, response, Reply(json={"name": "ada"}))
    assert result.metadata["value"] == "ADA"


def test_iml_runtime_error_fails_run(api: ApiServer, write_bundle: Any) -> None:
    result = run(api, write_bundle, {"data": {"x": "{{parseJSON('{bad')}}"}}, Reply(json={}))
    assert result.error.type == "RuntimeError"
    assert "parseJSON" in result.error.message


def test_averify_matches_verify(api: ApiServer, write_bundle: Any) -> None:
    import asyncio

    api.routes[("GET", "/check")] = Reply(json={"id": 3, "email": "x@y.z"})
    path = write_bundle({"url": f"{api.url}/check",
                         "response": {"uid": "{{body.id}}", "metadata": {"type": "email", "value": "{{body.email}}"}}})
    sync_result = imlconnect.verify(path, {}, allow_private_network=True)
    async_result = asyncio.run(imlconnect.averify(path, {}, allow_private_network=True))
    assert sync_result.to_json(reveal=True) == async_result.to_json(reveal=True)
    assert async_result.uid == "3"
