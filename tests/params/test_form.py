"""describe_form rows and the terminal table of render_form_table."""

from __future__ import annotations

import json

from imlconnect.params import describe_form, parse_parameters, render_form_table

RAW = [
    {"type": "html", "label": "<b>Welcome</b>"},
    {
        "name": "apiKey",
        "type": "password",
        "label": "API Key",
        "required": True,
        "default": "sk-demo",
        "help": "Find it under Settings.",
    },
    {
        "name": "method",
        "type": "select",
        "label": "Method",
        "grouped": True,
        "options": [
            {
                "label": "Simple",
                "options": [
                    {
                        "label": "Basic",
                        "value": "basic",
                        "nested": [{"name": "user", "type": "text", "required": True}],
                    }
                ],
            },
            {"label": "Other", "options": [{"label": "Token", "value": "token"}]},
        ],
    },
    {
        "name": "sandbox",
        "type": "boolean",
        "default": False,
        "nested": [{"name": "sandboxUrl", "type": "url"}],
    },
    {"name": "headers", "type": "array", "spec": [{"name": "key", "type": "text"}]},
    {"name": "region", "type": "select", "options": "rpc://regions"},
]


def rows():
    spec, problems = parse_parameters(RAW)
    assert [p.severity for p in problems] == ["warning"]
    return describe_form(spec)


def test_rows_in_spec_order() -> None:
    assert [row["name"] for row in rows()] == [
        None,
        "apiKey",
        "method",
        "user",
        "sandbox",
        "sandboxUrl",
        "headers",
        "key",
        "region",
    ]


def test_row_fields() -> None:
    api_key = rows()[1]
    assert api_key["label"] == "API Key"
    assert api_key["type"] == "password"
    assert api_key["required"] is True
    assert api_key["help"] == "Find it under Settings."
    assert api_key["secret"] is True
    assert api_key["depth"] == 0
    assert api_key["spec_path"] == "parameters[1]"


def test_secret_default_masked() -> None:
    assert rows()[1]["default"] == "********"


def test_plain_default_kept() -> None:
    assert rows()[4]["default"] is False


def test_nested_row_condition() -> None:
    user = rows()[3]
    assert user["depth"] == 1
    assert user["parent"] == "method"
    assert user["condition"] == 'method = "basic"'
    assert user["nesting"] == "method > user"


def test_boolean_condition() -> None:
    assert rows()[5]["condition"] == "sandbox = true"


def test_array_child_placement() -> None:
    key = rows()[7]
    assert key["condition"] is None
    assert key["placement"] == "in each item of headers"


def test_grouped_options_described() -> None:
    assert rows()[2]["options"] == [
        {"value": "basic", "label": "Basic", "group": "Simple"},
        {"value": "token", "label": "Token", "group": "Other"},
    ]


def test_rpc_options_described() -> None:
    region = rows()[8]
    assert region["options"] is None
    assert region["options_from"] == "rpc://regions"


def test_rows_json_ready() -> None:
    assert json.loads(json.dumps(rows())) == rows()


def test_display_row_flagged() -> None:
    assert rows()[0]["display_only"] is True


def table() -> list[str]:
    spec, _problems = parse_parameters(RAW)
    return render_form_table(spec).splitlines()


def test_table_header() -> None:
    assert table()[0].split() == ["NAME", "TYPE", "REQUIRED", "DEFAULT", "LABEL", "HELP"]


def test_table_condition_line() -> None:
    lines = table()
    position = lines.index('  ↳ when method = "basic"')
    assert lines[position + 1].startswith("  user ")


def test_table_boolean_condition() -> None:
    assert "  ↳ when sandbox = true" in table()


def test_table_skips_display_fields() -> None:
    assert not any("Welcome" in line for line in table())


def test_table_masks_secret_default() -> None:
    api_key_line = next(line for line in table() if line.startswith("apiKey"))
    assert "sk-demo" not in api_key_line
    assert "********" in api_key_line


def test_table_lists_options() -> None:
    assert "    options: basic (Basic), token (Token)" in table()


def test_table_rpc_options() -> None:
    assert "    options from rpc://regions" in table()


def test_table_empty_spec() -> None:
    spec, _problems = parse_parameters([])
    assert render_form_table(spec) == "This connection has no parameters.\n"


def test_table_columns_aligned() -> None:
    lines = [line for line in table() if not line.lstrip().startswith(("↳", "options"))]
    type_columns = {line.index(" " * 2 + line.split()[1]) for line in lines[1:3]}
    assert len(type_columns) == 1
