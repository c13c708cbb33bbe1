"""Spec checks: every error and warning, with its JSON path, file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imlconnect.errors import Problem, SpecError
from imlconnect.spec import check_path, load_connection


def locate(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """Return the 1-based line and column where the n-th `needle` starts in `text`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return line, column


def connection(tmp_path: Path, communication: str, *, base: str | None = None) -> Path:
    folder = tmp_path / "conn"
    folder.mkdir(exist_ok=True)
    (folder / "api.imljson").write_text(communication)
    (folder / "parameters.imljson").write_text("[]")
    if base is not None:
        (folder / "general").mkdir(exist_ok=True)
        (folder / "general" / "base.imljson").write_text(base)
    return folder


def only(problems: list[Problem], severity: str) -> Problem:
    matching = [problem for problem in problems if problem.severity == severity]
    assert len(matching) == 1, matching
    return matching[0]


def where(problem: Problem) -> tuple[str, int | None, int | None]:
    return problem.path, problem.line, problem.column


# --- JSON ------------------------------------------------------------------------------------------


def test_not_json(tmp_path: Path) -> None:
    text = '{\n  "url": "https://x.test"\n  "method": "GET"\n}'
    folder = connection(tmp_path, text)
    error = only(check_path(folder), "error")
    assert where(error) == ("communication", *locate(text, '"method"'))
    assert error.file == str(folder / "api.imljson")
    assert "check for a missing comma" in error.message


def test_duplicate_key_reported(tmp_path: Path) -> None:
    text = '{"url": "https://a.test",\n "url": "https://b.test"}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.url", *locate(text, '"url"', 2))


# --- directive names --------------------------------------------------------------------------------


def test_unknown_directive_suggestion(tmp_path: Path) -> None:
    text = '{\n  "url": "https://x.test",\n  "heders": {}\n}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == '"heders" is not a known request directive; did you mean "headers"?'
    assert where(error) == ("communication.heders", *locate(text, '"heders"'))


def test_unknown_directive_lists_known(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "zzzz": 1}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message.startswith(
        '"zzzz" is not a known request directive. Known request directives: url, method'
    )


def test_unknown_response_directive(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"vaild": true}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == '"vaild" is not a known response directive; did you mean "valid"?'
    assert where(error) == ("communication.response.vaild", *locate(text, '"vaild"'))


def test_unknown_error_key(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": {"mesage": "x"}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == '"mesage" is not a known error directive; did you mean "message"?'


def test_response_output_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"output": {"ok": true}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.response.output", *locate(text, '"output"'))
    assert warning.message == '"response.output" is ignored in a connection: a connection has no output.'


def test_response_iterate_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"iterate": "{{body.items}}"}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.path == "communication.response.iterate"


def test_embedded_parameters_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test",\n "parameters": [{"name": "apiKey"}]}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.parameters", *locate(text, '"parameters"'))
    assert "not standard" in warning.message


def test_log_level_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "log": {"level": "debug"}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.log.level", *locate(text, '"level"'))


def test_unknown_log_key(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "log": {"sanitise": []}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == '"sanitise" is not a known log directive; did you mean "sanitize"?'


# --- directive types ---------------------------------------------------------------------------------


def test_missing_url(tmp_path: Path) -> None:
    text = '[\n  {"method": "GET"}\n]'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication[0]", 2, 3)
    assert error.message.startswith('Missing "url"')


def test_url_not_string(tmp_path: Path) -> None:
    text = '{"url": 42}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.url", *locate(text, "42"))
    assert error.message == 'Invalid "url": expected an IML string, found a number.'


def test_headers_not_object(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "headers": "Bearer x"}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.headers", *locate(text, '"Bearer x"'))
    assert error.message == 'Invalid "headers": expected an object, found a string.'


def test_headers_whole_expression_allowed(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "headers": "{{parameters.headers}}"}'
    assert check_path(connection(tmp_path, text)) == []


def test_method_not_string(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "method": ["GET"]}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.method", *locate(text, '["GET"]'))


def test_method_not_standard(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "method": "FETCH"}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.message.startswith('"FETCH" is not a standard HTTP method')


def test_body_type_not_allowed(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "type": "urlencode"}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.type", *locate(text, '"urlencode"'))
    assert error.message.endswith('did you mean "urlencoded"?')


@pytest.mark.parametrize(
    ("timeout", "message"),
    [
        ('"40000"', 'Invalid "timeout": expected a whole number of milliseconds, found a string.'),
        ("1.5", 'Invalid "timeout": expected a whole number of milliseconds, found a number.'),
        ("0", 'Invalid "timeout": 0 ms; give a positive number of milliseconds.'),
        ("300001", 'Invalid "timeout": 300001 ms is more than the maximum of 300000 ms (5 minutes).'),
    ],
)
def test_timeout_invalid(tmp_path: Path, timeout: str, message: str) -> None:
    text = f'{{"url": "https://x.test", "timeout": {timeout}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == message
    assert where(error) == ("communication.timeout", *locate(text, timeout))


def test_flag_not_boolean(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "gzip": "yes"}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == 'Invalid "gzip": expected true or false, found a string.'


def test_condition_wrong_type(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "condition": 1}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.path == "communication.condition"


def test_temp_not_object(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "temp": [1]}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == 'Invalid "temp": expected an object, found an array.'


def test_log_sanitize_not_list(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "log": {"sanitize": "request.headers.x"}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.path == "communication.log.sanitize"


def test_response_not_object(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": "json"}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == 'Invalid "response": expected an object, found a string.'


def test_response_type_not_allowed(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"type": "html"}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.response.type", *locate(text, '"html"'))


def test_response_type_bad_range(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"type": {"2xx": "json"}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.response.type.2xx", *locate(text, '"2xx"'))


def test_valid_wrong_type(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"valid": 1}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.path == "communication.response.valid"


def test_error_status_out_of_range(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": {"700": {"message": "x"}}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == '"700" is not an HTTP status code (100-599).'


def test_metadata_type_invalid(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"metadata": {"type": "name", "value": "x"}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.response.metadata.type", *locate(text, '"name"'))


def test_metadata_value_missing(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"metadata": {"type": "text"}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message.startswith('Missing "value" in metadata')


def test_communication_wrong_type(tmp_path: Path) -> None:
    error = only(check_path(connection(tmp_path, '"https://x.test"')), "error")
    assert error.message.startswith("Invalid communication: expected a request object or an array")


def test_request_item_not_object(tmp_path: Path) -> None:
    text = '[{"url": "https://x.test"}, "second"]'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication[1]", *locate(text, '"second"'))


def test_empty_communication_warning(tmp_path: Path) -> None:
    warning = only(check_path(connection(tmp_path, '{\n  // "url": "x"\n}')), "warning")
    assert warning.path == "communication"


# --- IML ---------------------------------------------------------------------------------------------


def test_iml_syntax_error_position(tmp_path: Path) -> None:
    text = '{\n  "url": "https://x.test/{{body.a)}}"\n}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.url", *locate(text, ")}}"))
    assert error.message.startswith("Invalid IML: ")


def test_iml_error_inside_headers(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "headers": {"A": "ok", "B": "{{x)}}"}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.headers.B", *locate(text, ")}}"))


def test_iml_errors_all_reported(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "body": {"a": "{{x)}}", "b": ["{{y)}}"]}}'
    errors = [p for p in check_path(connection(tmp_path, text)) if p.severity == "error"]
    assert [p.path for p in errors] == ["communication.body.a", "communication.body.b[0]"]


def test_unknown_function_suggestion(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": "{{ifempti(body.a, 1)}}"}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert error.message == 'Unknown IML function "ifempti"; did you mean "ifempty"?'
    assert where(error) == ("communication.response.error", *locate(text, "ifempti"))


def test_custom_function_error(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"data": {"t": "{{getRefreshToken(headers.a)}}"}}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert '"getRefreshToken" is not a built-in IML function' in error.message
    assert "not run by imlconnect yet" in error.message
    assert where(error) == ("communication.response.data.t", *locate(text, "getRefreshToken"))


def test_declared_custom_function(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": "https://x.test", "response": {"uid": "{{userId(body)}}"}}')
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "userId.js").write_text("function userId(body) { return body.id; }")
    error = only(check_path(folder), "error")
    assert error.message.startswith('"userId" is a custom IML function of this app.')


def test_dialect_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": "{{ifempty(body.a; \'x\')}}"}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.message.startswith("Not portable: ")
    assert where(warning) == ("communication.response.error", *locate(text, "; 'x'"))


def test_dialect_warning_inside_body(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "body": {"ok": "{{body.a = 1}}"}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.body.ok", *locate(text, "= 1"))


def test_object_in_text_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": "[{{statusCode}}] {{ body }}"}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.response.error", *locate(text, "{{ body }}"))
    assert warning.message.startswith('"{{ body }}" may be an object')


def test_object_in_text_inside_data(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"data": {"p": "x {{parameters}}"}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.path == "communication.response.data.p"


def test_whole_object_reference_fine(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "body": "{{parameters}}"}'
    assert check_path(connection(tmp_path, text)) == []


def test_header_object_value_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "headers": {"X-Meta": {"a": 1}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.headers.X-Meta", *locate(text, '{"a"'))
    assert warning.message == '"X-Meta" is an object, but headers is a flat object; give it a text value.'


def test_qs_object_value_warning(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "qs": {"filter": {"a": 1}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.path == "communication.qs.filter"


def test_spread_key_bad_value(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "headers": {"{{...}}": 5}}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ('communication.headers["{{...}}"]', *locate(text, "5}"))
    assert error.message.startswith("Invalid IML: The spread key")


def test_common_syntax_error_hides_values(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": "https://x.test"}')
    (folder / "common.json").write_text('{"clientSecret": "s3cr3t" "clientId": "id-1"}')
    error = only(check_path(folder), "error")
    assert (error.file, error.line) == (str(folder / "common.json"), 1)
    assert "id-1" not in error.message
    assert "clientId" not in error.message


def test_spread_key_not_warned(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "headers": {"{{...}}": "{{parameters.extra}}"}}'
    assert check_path(connection(tmp_path, text)) == []


# --- error types ---------------------------------------------------------------------------------------


def test_error_type_outside_nine(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": {"401": {"type": "InvalidCredentials"}}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert where(warning) == ("communication.response.error.401.type", *locate(text, '"InvalidCredentials"'))
    assert "it is raised as RuntimeError" in warning.message


def test_error_type_close_match(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"error": {"type": "RateLimitErorr"}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.message.endswith('Did you mean "RateLimitError"?')


def test_valid_type_checked(tmp_path: Path) -> None:
    text = '{"url": "https://x.test", "response": {"valid": {"condition": true, "type": "Nope"}}}'
    warning = only(check_path(connection(tmp_path, text)), "warning")
    assert warning.path == "communication.response.valid.type"


# --- URLs and the base ----------------------------------------------------------------------------------


def test_relative_url_without_base(tmp_path: Path) -> None:
    text = '{\n  "url": "/me"\n}'
    error = only(check_path(connection(tmp_path, text)), "error")
    assert where(error) == ("communication.url", *locate(text, '"/me"'))
    assert "relative, but no baseUrl is available" in error.message


def test_relative_url_with_base(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": "/me"}', base='{"baseUrl": "https://api.example.com"}')
    assert check_path(folder) == []


def test_url_starting_with_expression(tmp_path: Path) -> None:
    assert check_path(connection(tmp_path, '{"url": "{{parameters.baseUrl}}/me"}')) == []


def test_base_custom_function_warning(tmp_path: Path) -> None:
    base = '{"baseUrl": "{{getApiURL(connection.domain)}}"}'
    folder = connection(tmp_path, '{"url": "https://x.test/me"}', base=base)
    warning = only(check_path(folder), "warning")
    assert where(warning) == ("base.baseUrl", *locate(base, "getApiURL"))
    assert warning.file == str(folder / "general" / "base.imljson")


def test_base_custom_function_error(tmp_path: Path) -> None:
    base = '{"baseUrl": "{{getApiURL(connection.domain)}}"}'
    error = only(check_path(connection(tmp_path, '{"url": "/me"}', base=base)), "error")
    assert error.path == "base.baseUrl"


def test_base_without_scheme_warning(tmp_path: Path) -> None:
    base = '{"baseUrl": "api.example.com/v1"}'
    warning = only(check_path(connection(tmp_path, '{"url": "https://x.test"}', base=base)), "warning")
    assert where(warning) == ("base.baseUrl", *locate(base, '"api.example.com'))


def test_base_without_scheme_error(tmp_path: Path) -> None:
    base = '{"baseUrl": "api.example.com/v1"}'
    error = only(check_path(connection(tmp_path, '{"url": "/cats"}', base=base)), "error")
    assert error.path == "base.baseUrl"


def test_broken_base_is_warning(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": "https://x.test"}', base='{"baseUrl": }')
    warning = only(check_path(folder), "warning")
    assert warning.message.startswith("Invalid JSON")


# --- OAuth and the two entry points ---------------------------------------------------------------------


def test_oauth_communication_rejected(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"authorize": {"url": "https://x.test/auth"}, "token": {}}')
    with pytest.raises(SpecError, match="OAuth connections are not supported yet") as caught:
        load_connection(folder)
    assert str(folder / "api.imljson") in str(caught.value)


def test_oauth_metadata_rejected(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": "https://x.test"}')
    (folder / "metadata.json").write_text('{"name": "o", "type": "oauth-refresh"}')
    error = only(check_path(folder), "error")
    assert error.message.startswith("OAuth connections are not supported yet")


def test_load_raises_with_problems(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": 1, "heders": {}}')
    with pytest.raises(SpecError) as caught:
        load_connection(folder)
    assert [p.path for p in caught.value.problems] == ["communication.heders", "communication.url"]


def test_load_error_lists_locations(tmp_path: Path) -> None:
    folder = connection(tmp_path, '{"url": 1}')
    with pytest.raises(SpecError) as caught:
        load_connection(folder)
    assert f"{folder / 'api.imljson'}:1:9: error: communication.url" in str(caught.value)


def test_check_path_missing_communication(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "parameters.json").write_text("[]")
    [error] = check_path(folder)
    assert (error.path, error.severity) == ("communication", "error")


def test_check_path_does_not_raise(tmp_path: Path) -> None:
    problems = check_path(connection(tmp_path, '{"url": "x" "y"}'))
    assert [p.severity for p in problems] == ["error"]


def test_check_path_every_app_connection(tmp_path: Path) -> None:
    app = tmp_path / "app"
    for name, url in (("a", "/no-base"), ("b", "https://x.test")):
        folder = app / "connections" / name
        folder.mkdir(parents=True)
        (folder / "api.imljson").write_text(json.dumps({"url": url, "method": 5}))
    paths = sorted(p.path for p in check_path(app) if p.severity == "error")
    assert paths == ["communication.method", "communication.method", "communication.url"]
