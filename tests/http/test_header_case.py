"""The `headers` variable of a response ignores the case of header names."""

from __future__ import annotations

import pytest

from imlconnect.http.parse import response_headers
from imlconnect.iml import Context, compile_template


@pytest.mark.parametrize("template", [
    "{{headers.`Content-Type`}}",
    "{{headers['Content-Type']}}",
    "{{headers.`content-type`}}",
    "{{get(headers, 'CONTENT-TYPE')}}",
])
def test_lookup_ignores_case(template: str) -> None:
    headers = response_headers([("Content-Type", "application/json")])
    assert compile_template(template).render(Context(variables={"headers": headers})) == "application/json"


def test_keys_stay_lower_case() -> None:
    headers = response_headers([("X-Rate-Limit", "5"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert dict(headers) == {"x-rate-limit": "5", "set-cookie": ["a=1", "b=2"]}
    assert "X-RATE-LIMIT" in headers
