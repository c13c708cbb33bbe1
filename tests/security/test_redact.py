"""Redaction units: credential headers, exceptions, log records, and secrets learned during a run."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from support.server import ApiServer, Recorded, Reply

import imlconnect.api as engine
from imlconnect.errors import ErrorInfo, ParametersError, Problem, TransportError
from imlconnect.http import WireRequest, WireResponse
from imlconnect.logs import RedactingFilter, redacting
from imlconnect.redact import (
    MASK,
    Redactor,
    WireSecretCollector,
    credential_secrets,
    redact_exception,
    values_at,
)
from imlconnect.store import ConnectionStore

PASSWORD = [{"name": "apiKey", "type": "password", "required": True}]


# --- credential headers ----------------------------------------------------------------------


def test_bearer_token_learned() -> None:
    assert credential_secrets("Authorization", "Bearer tok-123456") == ["Bearer tok-123456", "tok-123456"]


def test_basic_credentials_learned() -> None:
    encoded = base64.b64encode(b"ada:pw-secret-1").decode()
    found = credential_secrets("Proxy-Authorization", f"Basic {encoded}")
    assert encoded in found
    assert "ada:pw-secret-1" in found
    assert "pw-secret-1" in found


def test_cookie_values_learned() -> None:
    found = credential_secrets("Cookie", "sid=session-1; theme=dark-mode")
    assert "session-1" in found
    assert "dark-mode" in found


def test_set_cookie_value_learned() -> None:
    found = credential_secrets("Set-Cookie", "sid=session-2; Path=/; HttpOnly")
    assert "session-2" in found
    assert "Path=/" not in found


def test_redactor_masks_encoded_forms() -> None:
    redactor = Redactor(["tok+en/secret"])
    for form in ("tok+en/secret", "tok%2Ben%2Fsecret", base64.b64encode(b"tok+en/secret").decode(),
                 base64.urlsafe_b64encode(b"tok+en/secret").decode().rstrip("=")):
        assert redactor.text(f"before {form} after") == f"before {MASK} after", form


def test_redactor_skips_short_values() -> None:
    redactor = Redactor(["abc", "true"])
    assert redactor.text("abc is true") == f"abc is {MASK}"


def test_values_at_walks_arrays() -> None:
    document = {"items": [{"key": "one-secret"}, {"other": 1}, {"key": "two-secret"}]}
    assert values_at(document, "items.key") == ["one-secret", "two-secret"]


# --- the wire collector ----------------------------------------------------------------------


class _Request:
    json_path = "communication"
    log_sanitize = ("request.headers.x-api-key", "request.qs.token", "request.body.auth.secret",
                    "response.body.session.id")


def test_collector_learns_request_paths() -> None:
    redactor = Redactor()
    collector = WireSecretCollector(redactor, [_Request()])
    request = WireRequest(
        method="POST", url="https://api.example.com/x?token=query-secret-1&page=2",
        headers=[("X-Api-Key", "header-secret-1"), ("Cookie", "sid=cookie-secret-1")],
        body=json.dumps({"auth": {"secret": "body-secret-1"}, "page": "page-value"}).encode(),
        request_id="communication#1",
    )
    collector.on_request(request)
    for secret in ("query-secret-1", "header-secret-1", "cookie-secret-1", "body-secret-1"):
        assert redactor.text(secret) == MASK, secret
    assert redactor.text("page-value") == "page-value"


def test_collector_learns_response_paths() -> None:
    redactor = Redactor()
    collector = WireSecretCollector(redactor, [_Request()])
    request = WireRequest(method="GET", url="https://api.example.com/x", headers=[], request_id="communication#1")
    response = WireResponse(status=200, reason="OK", headers=[("Set-Cookie", "sid=set-cookie-1; Path=/")],
                            body=b'{"session": {"id": "session-secret-1"}, "name": "Ada Lovelace"}',
                            url=request.url)
    collector.on_response(request, response)
    assert redactor.text("set-cookie-1 session-secret-1") == f"{MASK} {MASK}"
    assert redactor.text("Ada Lovelace") == "Ada Lovelace"


# --- exceptions ------------------------------------------------------------------------------


def test_redact_exception_chain() -> None:
    redactor = Redactor(["key-secret-77"])
    try:
        try:
            raise ValueError("inner key-secret-77")
        except ValueError as inner:
            raise ParametersError("outer key-secret-77", [Problem("parameters.a", "bad key-secret-77")]) from inner
    except ParametersError as error:
        redact_exception(error, redactor)
        assert str(error) == f"outer {MASK}"
        assert error.problems[0].message == f"bad {MASK}"
        assert str(error.__cause__) == f"inner {MASK}"


def test_transport_error_message_redacted() -> None:
    error = TransportError("timeout", "The request to https://h/key-secret-88 timed out.")
    redact_exception(error, Redactor(["key-secret-88"]))
    assert error.message == f"The request to https://h/{MASK} timed out."
    assert str(error) == error.message


# --- log records -----------------------------------------------------------------------------


def test_log_records_redacted_at_creation(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    redactor = Redactor(["log-secret-31"])
    with redacting(redactor):
        logging.getLogger("imlconnect.test").debug("value %s", "log-secret-31")
        logging.getLogger("other.library").warning("other log-secret-31")
        try:
            raise RuntimeError("boom log-secret-31")
        except RuntimeError:
            logging.getLogger("imlconnect.test").exception("failed")
    logging.getLogger("imlconnect.test").warning("after log-secret-31")

    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == f"value {MASK}"
    assert messages[1] == f"other {MASK}"
    assert caplog.records[2].exc_info is None
    assert "RuntimeError: boom" in (caplog.records[2].exc_text or "")
    assert "log-secret-31" not in (caplog.records[2].exc_text or "")
    assert "log-secret-31" not in caplog.text.split("after")[0]
    assert messages[3] == "after log-secret-31"


def test_redacting_filter_on_handler() -> None:
    redactor = Redactor(["filter-secret-5"])
    record = logging.LogRecord("imlconnect", logging.INFO, __file__, 1, "x %s", ("filter-secret-5",), None)
    with redacting(redactor):
        assert RedactingFilter().filter(record)
    assert record.getMessage() == f"x {MASK}"


# --- secrets learned during a run --------------------------------------------------------------


def test_new_data_masked_in_later_logs(
    api: ApiServer, write_bundle: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imlconnect")
    api.queue.extend([Reply(json={"token": "fresh-token-61"}), Reply(json={})])
    path = write_bundle([
        {"url": f"{api.url}/login", "response": {"data": {"token": "{{body.token}}"}}},
        {"url": f"{api.url}/v1/{{{{data.token}}}}/me"},
    ])
    result = engine.verify(path, allow_private_network=True)
    assert result.ok
    assert api.requests[1].path == "/v1/fresh-token-61/me"
    requests = [record.getMessage() for record in caplog.records if "communication[1]#2" in record.getMessage()]
    assert requests
    assert all("fresh-token-61" not in message for message in requests)
    assert any(MASK in message for message in requests)


def test_cookie_echo_masked(api: ApiServer, write_bundle: Callable[..., Path]) -> None:
    def echo(request: Recorded) -> Reply:
        return Reply(403, json={"message": f"cookie {request.header('Cookie')} is not valid"})

    api.queue.append(Reply(json={}, headers={"Set-Cookie": "sid=cookie-secret-42; Path=/"}))
    api.routes[("GET", "/check")] = echo
    path = write_bundle([
        {"url": f"{api.url}/start", "response": {"temp": {"cookie": "{{headers['set-cookie'][1]}}"}}},
        {"url": f"{api.url}/check", "headers": {"Cookie": "{{temp.cookie}}"},
         "response": {"error": {"message": "{{body.message}}"}}},
    ])
    result = engine.verify(path, allow_private_network=True)
    assert result.ok is False
    assert result.raw_error is not None
    assert "cookie-secret-42" in result.raw_error.message
    assert result.error is not None
    assert "cookie-secret-42" not in result.error.message
    assert "cookie-secret-42" in json.dumps(result.to_json(reveal=True))
    assert "cookie-secret-42" not in json.dumps(result.to_json())


def test_sanitized_response_masked(api: ApiServer, write_bundle: Callable[..., Path]) -> None:
    api.queue.extend([Reply(json={"session": {"id": "session-secret-93"}}),
                      Reply(400, json={"message": "session session-secret-93 expired"})])
    path = write_bundle([
        {"url": f"{api.url}/start", "log": {"sanitize": ["response.body.session.id"]},
         "response": {"temp": {"session": "{{body.session.id}}"}}},
        {"url": f"{api.url}/check", "qs": {"s": "{{temp.session}}"},
         "response": {"error": {"message": "{{body.message}}"}}},
    ])
    result = engine.verify(path, allow_private_network=True)
    assert result.error is not None
    assert result.error.message == f"session {MASK} expired"


def test_error_reveal_shows_raw(api: ApiServer, write_bundle: Callable[..., Path]) -> None:
    api.queue.append(Reply(401, json={"message": "key sk-reveal-1234 rejected"}))
    path = write_bundle({"url": f"{api.url}/me", "response": {"error": "{{body.message}}"}}, PASSWORD)
    result = engine.verify(path, {"apiKey": "sk-reveal-1234"}, allow_private_network=True)
    assert result.error is not None
    assert result.error.message == f"key {MASK} rejected"
    assert result.to_json(reveal=True)["error"]["message"] == "key sk-reveal-1234 rejected"
    assert "sk-reveal-1234" not in repr(result)


def test_stored_last_error_redacted(api: ApiServer, write_bundle: Callable[..., Path]) -> None:
    api.queue.extend([Reply(json={"token": "stored-token-55"}),
                      Reply(401, json={"message": "token stored-token-55 revoked"})])
    path = write_bundle({"url": f"{api.url}/me", "response": {"data": {"token": "{{body.token}}"},
                                                              "error": "{{body.message}}"}})
    store = ConnectionStore.open()
    first = engine.verify(path, store=store, save=True, allow_private_network=True)
    assert first.connection_id is not None
    second = engine.verify(path, store=store, save=True, connection_id=first.connection_id,
                           allow_private_network=True)
    record = store.get(first.connection_id)
    store.close()
    assert second.ok is False
    assert record.last_error is not None
    assert record.last_error.message == f"token {MASK} revoked"
    assert record.data == {"token": "stored-token-55"}


def test_module_result_reveal(api: ApiServer, write_bundle: Callable[..., Path], tmp_path: Path) -> None:
    api.queue.extend([Reply(json={"token": "module-token-71"}),
                      Reply(400, json={"message": "token module-token-71 is bad"})])
    store = ConnectionStore.open()
    stored = engine.verify(write_bundle({"url": f"{api.url}/me", "response": {"data": {"token": "{{body.token}}"}}}),
                           store=store, save=True, allow_private_network=True)
    spec = tmp_path / "module.json"
    spec.write_text(json.dumps({"url": f"{api.url}/items", "response": {"error": "{{body.message}}"}}))
    assert stored.connection_id is not None
    result = engine.run_module_request(spec, stored.connection_id, store=store, allow_private_network=True)
    store.close()
    assert result.error is not None
    assert result.error.message == f"token {MASK} is bad"
    assert result.to_json(reveal=True)["error"]["message"] == "token module-token-71 is bad"
    assert "module-token-71" not in repr(result)


def test_parameter_problem_masks_common(write_bundle: Callable[..., Path]) -> None:
    path = write_bundle({"url": "https://api.example.com/"}, [{"name": "contact", "type": "email"}],
                        common={"secret": "common-secret-19"})
    with pytest.raises(ParametersError) as raised:
        engine.verify(path, {"contact": "common-secret-19"})
    assert raised.value.problems[0].message == f"Value '{MASK}' is not a valid email address."


def test_error_info_untouched(api: ApiServer, write_bundle: Callable[..., Path]) -> None:
    api.queue.append(Reply(500, json={}))
    result = engine.verify(write_bundle({"url": f"{api.url}/me"}), allow_private_network=True)
    assert result.error == ErrorInfo(type="ConnectionError", message="[500] Internal Server Error", status=500)
    assert result.raw_error == result.error


@pytest.mark.parametrize(("secret", "leaked"), [
    ('Qx"Secret\\99', '{"key":"Qx\\"Secret\\\\99"}'),
    ("tab\tkey1234", '{"key":"tab\\tkey1234"}'),
    ("üxkey123", '{"k":"\\u00fcxkey123"}'),
    ("pa ss:word1", "GET /ok/pa%20ss:word1/x"),
    ("päss:wörd1", "/ok/p%C3%A4ss:w%C3%B6rd1/x"),
    ("cnryPW a1/b2+c3&d4=", "/cnryPW%20a1/b2+c3&d4="),
])
def test_escaped_forms_masked(secret: str, leaked: str) -> None:
    masked = Redactor([secret]).text(leaked)
    assert "********" in masked
    assert secret not in masked
    for word in ("Secret", "key1234", "xkey123", "ss:word1", "rd1", "b2+c3"):
        assert word not in masked
