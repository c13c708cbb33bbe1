"""Typed models built by load_connection: every request and response directive, and the spec."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from imlconnect.errors import Problem
from imlconnect.iml import Context
from imlconnect.spec import (
    ConditionSpec,
    ConnectionSpec,
    ErrorSpec,
    MetadataSpec,
    RequestSpec,
    ValidSpec,
    load_connection,
)


def static_text(template: Any) -> Any:
    """Return the value of a template that contains no expression."""
    assert template.is_static
    return template.render(Context(variables={}))


def write_connection(
    folder: Path,
    communication: Any,
    *,
    parameters: Any = (),
    base: dict[str, Any] | None = None,
    common: dict[str, Any] | None = None,
    app_common: dict[str, Any] | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = communication if isinstance(communication, str) else json.dumps(communication, indent=2)
    (folder / "api.imljson").write_text(text)
    if parameters is not None:
        (folder / "parameters.imljson").write_text(json.dumps(list(parameters)))
    if base is not None:
        (folder / "general").mkdir(exist_ok=True)
        (folder / "general" / "base.imljson").write_text(json.dumps(base))
    if common is not None:
        (folder / "common.imljson").write_text(json.dumps(common))
    if app_common is not None:
        (folder / "general").mkdir(exist_ok=True)
        (folder / "general" / "common.json").write_text(json.dumps(app_common))
    return folder


def load_request(tmp_path: Path, request: dict[str, Any]) -> RequestSpec:
    spec = load_connection(write_connection(tmp_path / "conn", request))
    assert len(spec.requests) == 1
    return spec.requests[0]


URL = "https://api.example.com/me"


# --- request directives ----------------------------------------------------------------------------


def test_url_template(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL})
    assert static_text(request.url) == URL


def test_url_with_expression(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": "https://{{parameters.region}}.example.com"})
    assert request.url.is_static is False


def test_method_default_get(tmp_path: Path) -> None:
    assert static_text(load_request(tmp_path, {"url": URL}).method) == "GET"


def test_method_given(tmp_path: Path) -> None:
    assert static_text(load_request(tmp_path, {"url": URL, "method": "POST"}).method) == "POST"


def test_headers_compiled(tmp_path: Path) -> None:
    request = load_request(
        tmp_path, {"url": URL, "headers": {"Authorization": "Bearer {{parameters.apiKey}}"}}
    )
    assert len(request.headers.templates()) == 1


def test_headers_absent(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL}).headers is None


def test_qs_absent_is_none(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL}).qs is None


def test_qs_empty_is_kept(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "qs": {}})
    assert request.qs is not None
    assert request.qs.templates() == []


def test_body_compiled(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "body": {"a": ["{{parameters.x}}", 1]}})
    assert len(request.body.templates()) == 1


def test_body_type_default_json(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL}).type == "json"


@pytest.mark.parametrize(
    "body_type", ["urlencoded", "multipart/form-data", "text", "string", "raw", "binary"]
)
def test_body_type_given(tmp_path: Path, body_type: str) -> None:
    assert load_request(tmp_path, {"url": URL, "type": body_type}).type == body_type


def test_ca_template(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "ca": "{{parameters.ca}}"})
    assert request.ca.is_static is False


def test_condition_absent(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL}).condition is None


def test_condition_boolean(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL, "condition": False}).condition is False


def test_condition_template(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "condition": "{{parameters.check}}"})
    assert request.condition.is_static is False


def test_condition_with_default(tmp_path: Path) -> None:
    request = load_request(
        tmp_path, {"url": URL, "condition": {"condition": "{{temp.skip}}", "default": {"ok": True}}}
    )
    assert isinstance(request.condition, ConditionSpec)
    assert request.condition.default is not None


def test_condition_without_default(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "condition": {"condition": True}})
    assert request.condition == ConditionSpec(True, None)


def test_temp_compiled(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "temp": {"token": "{{parameters.apiKey}}"}})
    assert len(request.temp.templates()) == 1


def test_flags_defaults(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL})
    assert (request.encode_url, request.follow_redirects, request.follow_all_redirects, request.gzip) == (
        True,
        True,
        True,
        False,
    )


def test_flags_given(tmp_path: Path) -> None:
    request = load_request(
        tmp_path,
        {"url": URL, "encodeUrl": False, "followRedirects": False, "followAllRedirects": False, "gzip": True},
    )
    assert (request.encode_url, request.follow_redirects, request.follow_all_redirects, request.gzip) == (
        False,
        False,
        False,
        True,
    )


def test_timeout_default(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL}).timeout_ms == 40000


def test_timeout_given(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL, "timeout": 300000}).timeout_ms == 300000


def test_log_sanitize(tmp_path: Path) -> None:
    request = load_request(tmp_path, {"url": URL, "log": {"sanitize": ["request.headers.authorization"]}})
    assert request.log_sanitize == ["request.headers.authorization"]


def test_json_path_single(tmp_path: Path) -> None:
    assert load_request(tmp_path, {"url": URL}).json_path == "communication"


def test_request_array(tmp_path: Path) -> None:
    spec = load_connection(write_connection(tmp_path / "c", [{"url": URL}, {"url": URL, "method": "POST"}]))
    assert [request.json_path for request in spec.requests] == ["communication[0]", "communication[1]"]


def test_empty_communication_no_requests(tmp_path: Path) -> None:
    spec = load_connection(write_connection(tmp_path / "c", "{\n// nothing yet\n}"))
    assert spec.requests == []


# --- response directives ---------------------------------------------------------------------------


def load_response(tmp_path: Path, response: dict[str, Any]) -> Any:
    return load_request(tmp_path, {"url": URL, "response": response}).response


def test_response_defaults(tmp_path: Path) -> None:
    response = load_request(tmp_path, {"url": URL}).response
    assert (
        response.type,
        response.valid,
        response.error,
        response.data,
        response.metadata,
        response.uid,
    ) == (
        "automatic",
        None,
        None,
        None,
        None,
        None,
    )


def test_response_type_name(tmp_path: Path) -> None:
    assert load_response(tmp_path, {"type": "xml"}).type == "xml"


def test_response_type_ranges(tmp_path: Path) -> None:
    ranges = {"*": "json", "400-499": "text", "204": "raw"}
    assert load_response(tmp_path, {"type": ranges}).type == ranges


def test_response_temp(tmp_path: Path) -> None:
    assert len(load_response(tmp_path, {"temp": {"id": "{{body.id}}"}}).temp.templates()) == 1


def test_valid_boolean(tmp_path: Path) -> None:
    assert load_response(tmp_path, {"valid": True}).valid is True


def test_valid_template(tmp_path: Path) -> None:
    assert load_response(tmp_path, {"valid": "{{statusCode == 200}}"}).valid.is_static is False


def test_valid_object(tmp_path: Path) -> None:
    valid = load_response(
        tmp_path, {"valid": {"condition": "{{body.ok}}", "message": "Bad key", "type": "DataError"}}
    ).valid
    assert isinstance(valid, ValidSpec)
    assert static_text(valid.message) == "Bad key"
    assert valid.type == "DataError"


def test_valid_object_without_condition(tmp_path: Path) -> None:
    assert load_response(tmp_path, {"valid": {"message": "x"}}).valid.condition is None


def test_error_string(tmp_path: Path) -> None:
    error = load_response(tmp_path, {"error": "Failed: {{body.message}}"}).error
    assert isinstance(error, ErrorSpec)
    assert (error.type, error.by_status) == (None, {})


def test_error_object(tmp_path: Path) -> None:
    error = load_response(
        tmp_path,
        {
            "error": {
                "message": "[{{statusCode}}] {{body.error}}",
                "type": "RuntimeError",
                "401": {"type": "InvalidAccessTokenError", "message": "Bad key"},
                "429": "Slow down",
            }
        },
    ).error
    assert error.type == "RuntimeError"
    assert sorted(error.by_status) == [401, 429]
    assert error.by_status[401].type == "InvalidAccessTokenError"
    assert static_text(error.by_status[429].message) == "Slow down"


def test_data(tmp_path: Path) -> None:
    assert len(load_response(tmp_path, {"data": {"apiKey": "{{parameters.apiKey}}"}}).data.templates()) == 1


def test_metadata_type_default_text(tmp_path: Path) -> None:
    metadata = load_response(tmp_path, {"metadata": {"value": "{{body.name}}"}}).metadata
    assert isinstance(metadata, MetadataSpec)
    assert metadata.type == "text"


def test_metadata_email(tmp_path: Path) -> None:
    assert (
        load_response(tmp_path, {"metadata": {"type": "email", "value": "{{body.email}}"}}).metadata.type
        == "email"
    )


def test_uid(tmp_path: Path) -> None:
    assert load_response(tmp_path, {"uid": "{{body.id}}"}).uid.is_static is False


# --- the connection spec ----------------------------------------------------------------------------


def test_spec_name_and_files(tmp_path: Path) -> None:
    folder = write_connection(tmp_path / "acme", {"url": URL})
    spec = load_connection(folder)
    assert isinstance(spec, ConnectionSpec)
    assert spec.name == "acme"
    assert spec.files == {
        "communication": str(folder / "api.imljson"),
        "parameters": str(folder / "parameters.imljson"),
    }


def test_spec_label_from_metadata(tmp_path: Path) -> None:
    folder = write_connection(tmp_path / "c", {"url": URL})
    (folder / "metadata.json").write_text('{"name": "cats-1", "label": "Cats", "type": "basic"}')
    spec = load_connection(folder)
    assert (spec.name, spec.label) == ("cats-1", "Cats")


def test_base_url_compiled(tmp_path: Path) -> None:
    spec = load_connection(
        write_connection(tmp_path / "c", {"url": "/me"}, base={"baseUrl": "https://api.example.com"})
    )
    assert static_text(spec.base_url) == "https://api.example.com"


def test_base_url_absent(tmp_path: Path) -> None:
    assert load_connection(write_connection(tmp_path / "c", {"url": URL})).base_url is None


def test_common_connection_wins(tmp_path: Path) -> None:
    folder = write_connection(
        tmp_path / "c",
        {"url": URL},
        common={"secret": "conn", "only": 1},
        app_common={"secret": "app", "appOnly": 2},
    )
    assert load_connection(folder).common == {"secret": "conn", "only": 1, "appOnly": 2}


def test_common_file_wins(tmp_path: Path) -> None:
    folder = write_connection(tmp_path / "c", {"url": URL}, common={"secret": "conn"})
    extra = tmp_path / "common.json"
    extra.write_text('{"secret": "given"}')
    assert load_connection(folder, common_file=str(extra)).common == {"secret": "given"}


def test_warnings_kept_on_spec(tmp_path: Path) -> None:
    folder = write_connection(tmp_path / "c", {"url": URL, "response": {"output": {"x": 1}}})
    assert [w.path for w in load_connection(folder).warnings] == ["communication.response.output"]


def test_bundle_spec(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(
        json.dumps(
            {
                "name": "acme",
                "label": "Acme",
                "app": "acme-app",
                "communication": [{"url": "/a"}, {"url": "/b"}],
                "parameters": [{"name": "apiKey", "type": "password"}],
                "common": {"clientSecret": "s"},
                "base": {"baseUrl": "https://api.acme.test"},
            }
        )
    )
    spec = load_connection(bundle)
    assert (spec.name, spec.label, spec.app, len(spec.requests), spec.common) == (
        "acme",
        "Acme",
        "acme-app",
        2,
        {"clientSecret": "s"},
    )
    assert static_text(spec.base_url) == "https://api.acme.test"


def test_bundle_top_level_base_url(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"communication": {"url": "/me"}, "baseUrl": "https://x.test"}))
    assert static_text(load_connection(bundle).base_url) == "https://x.test"


# --- parameters -------------------------------------------------------------------------------------


class FakeParameters:
    """Records the calls that the loader makes to imlconnect.params.parse_parameters."""

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self.calls: list[tuple[list[Any], str | None, str]] = []
        self.problems = problems or []

    def __call__(
        self, raw: list[Any], *, file: str | None, json_path: str, positions: Any = None
    ) -> tuple[str, list[Problem]]:
        self.calls.append((raw, file, json_path))
        self.positions = positions
        return "parsed", list(self.problems)


@pytest.fixture
def fake_parameters(monkeypatch: pytest.MonkeyPatch) -> FakeParameters:
    fake = FakeParameters()
    module = types.ModuleType("imlconnect.params")
    module.parse_parameters = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "imlconnect.params", module)
    return fake


def test_parameters_parsed(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    folder = write_connection(tmp_path / "c", {"url": URL}, parameters=[{"name": "apiKey"}])
    spec = load_connection(folder)
    assert spec.parameters == "parsed"
    assert fake_parameters.calls == [([{"name": "apiKey"}], str(folder / "parameters.imljson"), "parameters")]


def test_embedded_parameters_used(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    folder = write_connection(tmp_path / "c", {"url": URL, "parameters": [{"name": "k"}]}, parameters=None)
    load_connection(folder)
    assert fake_parameters.calls == [
        ([{"name": "k"}], str(folder / "api.imljson"), "communication.parameters")
    ]


def test_parameters_file_beats_embedded(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    folder = write_connection(
        tmp_path / "c", {"url": URL, "parameters": [{"name": "k"}]}, parameters=[{"name": "f"}]
    )
    load_connection(folder)
    assert fake_parameters.calls[0][0] == [{"name": "f"}]


def test_parameter_problems_located(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    fake_parameters.problems = [Problem(path="parameters[0]", message="Unknown type.", severity="warning")]
    folder = tmp_path / "c"
    write_connection(folder, {"url": URL}, parameters=None)
    (folder / "parameters.imljson").write_text('[\n  {"name": "a", "type": "bogus"}\n]')
    [warning] = load_connection(folder).warnings
    assert (warning.file, warning.line, warning.column) == (str(folder / "parameters.imljson"), 2, 3)


def test_positions_passed(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    folder = tmp_path / "c"
    write_connection(folder, {"url": URL}, parameters=None)
    (folder / "parameters.imljson").write_text('[\n  {"name": "a"}\n]')
    load_connection(folder)
    assert fake_parameters.positions("parameters[0].name") == (2, 12)


def test_real_parameter_spec(tmp_path: Path) -> None:
    folder = write_connection(
        tmp_path / "c", {"url": URL}, parameters=[{"name": "apiKey", "type": "password"}]
    )
    spec = load_connection(folder)
    assert [field.name for field in spec.parameters.fields] == ["apiKey"]


def test_missing_parameters_file_is_empty(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    load_connection(write_connection(tmp_path / "c", {"url": URL}, parameters=None))
    assert fake_parameters.calls[0][0] == []


def test_bundle_embedded_parameters(tmp_path: Path, fake_parameters: FakeParameters) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"communication": {"url": URL, "parameters": [{"name": "k"}]}}))
    load_connection(bundle)
    assert fake_parameters.calls == [([{"name": "k"}], str(bundle), "communication.parameters")]
