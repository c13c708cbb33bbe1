"""Spec checks of parse_parameters: problem paths, severities, messages and the models built."""

from __future__ import annotations

from typing import Any

import pytest

from imlconnect.errors import Problem
from imlconnect.params import NO_DEFAULT, parse_parameters


def errors_of(raw: Any) -> list[tuple[str, str]]:
    _spec, problems = parse_parameters(raw)
    return [(problem.path, problem.message) for problem in problems if problem.severity == "error"]


def warnings_of(raw: Any) -> list[tuple[str, str]]:
    _spec, problems = parse_parameters(raw)
    return [(problem.path, problem.message) for problem in problems if problem.severity == "warning"]


def test_clean_spec_has_no_problems() -> None:
    raw = [
        {"name": "apiKey", "type": "password", "label": "API Key", "required": True, "editable": True},
        {"name": "region", "type": "select", "options": [{"label": "EU", "value": "eu"}], "default": "eu"},
    ]
    spec, problems = parse_parameters(raw)
    assert problems == []
    assert [field.name for field in spec.fields] == ["apiKey", "region"]


def test_unknown_key_suggests() -> None:
    assert errors_of([{"name": "a", "type": "text", "lable": "A"}]) == [
        ("parameters[0].lable", "Unknown key 'lable'. Did you mean 'label'?")
    ]


def test_unknown_key_without_suggestion() -> None:
    assert errors_of([{"name": "a", "type": "text", "zzzzqq": 1}]) == [
        ("parameters[0].zzzzqq", "Unknown key 'zzzzqq'.")
    ]


def test_unknown_type_suggests() -> None:
    assert errors_of([{"name": "a", "type": "pasword"}]) == [
        ("parameters[0].type", "Unknown field type 'pasword'. Did you mean 'password'?")
    ]


def test_unknown_type_degrades_to_any() -> None:
    spec, _problems = parse_parameters([{"name": "a", "type": "tags"}])
    assert spec.fields[0].type == "any"


def test_type_case_insensitive_warns() -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "Boolean"}])
    assert spec.fields[0].type == "boolean"
    assert [(p.path, p.severity) for p in problems] == [("parameters[0].type", "warning")]


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("string", "text"),
        ("bool", "boolean"),
        ("datetime", "date"),
        ("float", "number"),
        ("upload", "filestorage"),
    ],
)
def test_type_alias_accepted(alias: str, canonical: str) -> None:
    spec, problems = parse_parameters([{"name": "a", "type": alias}])
    assert spec.fields[0].type == canonical
    assert [p.severity for p in problems] == ["warning"]


def test_mixed_case_type_name() -> None:
    spec, _problems = parse_parameters([{"name": "a", "type": "dynamiccollection"}])
    assert spec.fields[0].type == "dynamicCollection"


def test_iml_type_warns() -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "{{parameters.kind}}"}])
    assert spec.fields[0].type == "any"
    assert [p.severity for p in problems] == ["warning"]


def test_missing_type() -> None:
    assert errors_of([{"name": "a"}]) == [
        ("parameters[0]", 'Field has no type. Add "type", for example "text".')
    ]


def test_missing_name() -> None:
    assert errors_of([{"type": "text"}]) == [
        ("parameters[0]", 'Field has no name. Add "name": the key its value is stored under.')
    ]


def test_display_type_needs_no_name() -> None:
    assert errors_of([{"type": "banner", "title": "Note"}, {"type": "html", "label": "<b>x</b>"}]) == []


def test_name_wrong_json_type() -> None:
    assert errors_of([{"name": 5, "type": "text"}]) == [
        ("parameters[0].name", "Key 'name' must be a string, got a number.")
    ]


def test_duplicate_names() -> None:
    raw = [{"name": "a", "type": "text"}, {"name": "a", "type": "number"}]
    assert errors_of(raw) == [
        (
            "parameters[1].name",
            "Duplicate field name 'a': parameters[0] uses it too. Names must be unique within one level, nested fields included.",
        )
    ]


def test_nested_shares_parent_level() -> None:
    raw = [
        {"name": "a", "type": "boolean", "nested": [{"name": "b", "type": "text"}]},
        {"name": "b", "type": "text"},
    ]
    assert [path for path, _message in errors_of(raw)] == ["parameters[0].nested[0].name"]


def test_option_branches_may_share_names() -> None:
    raw = [
        {
            "name": "m",
            "type": "select",
            "options": [
                {"value": 1, "nested": [{"name": "x", "type": "text"}]},
                {"value": 2, "nested": [{"name": "x", "type": "text"}]},
            ],
        }
    ]
    assert errors_of(raw) == []


def test_collection_children_own_level() -> None:
    raw = [{"name": "a", "type": "collection", "spec": [{"name": "a", "type": "text"}]}]
    assert errors_of(raw) == []


def test_duplicate_inside_collection() -> None:
    raw = [
        {
            "name": "c",
            "type": "collection",
            "spec": [{"name": "x", "type": "text"}, {"name": "x", "type": "text"}],
        }
    ]
    assert [path for path, _message in errors_of(raw)] == ["parameters[0].spec[1].name"]


def test_pattern_invalid_js() -> None:
    assert errors_of([{"name": "a", "type": "text", "validate": {"pattern": "(a"}}]) == [
        ("parameters[0].validate.pattern", "Invalid regular expression /(a/: Unterminated group.")
    ]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("a**", "Nothing to repeat"),
        ("*a", "Nothing to repeat"),
        ("[z-a]", "Range out of order in character class"),
        ("a{3,1}", "numbers out of order in {} quantifier"),
        ("a)", "Unmatched ')'"),
        ("[abc", "Unterminated character class"),
        ("(?x)", "Invalid group"),
        ("a\\", "\\ at end of pattern"),
        ("(?<1a>x)", "Invalid capture group name"),
    ],
)
def test_pattern_syntax_errors(pattern: str, reason: str) -> None:
    assert errors_of([{"name": "a", "type": "text", "validate": {"pattern": pattern}}]) == [
        ("parameters[0].validate.pattern", f"Invalid regular expression /{pattern}/: {reason}.")
    ]


@pytest.mark.parametrize("pattern", ["^(?=.*\\d)", "(?<!a)b", "(a)\\1", "(?<n>a)\\k<n>"])
def test_pattern_unsupported_warns(pattern: str) -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "text", "validate": {"pattern": pattern}}])
    assert [(p.path, p.severity) for p in problems] == [("parameters[0].validate.pattern", "warning")]
    assert spec.fields[0].rules.pattern is None


def test_pattern_re2_limit_reported() -> None:
    errors = errors_of([{"name": "a", "type": "text", "validate": {"pattern": "a{1001}"}}])
    assert [path for path, _message in errors] == ["parameters[0].validate.pattern"]
    assert "cannot be compiled" in errors[0][1]


def test_pattern_not_string() -> None:
    assert errors_of([{"name": "a", "type": "text", "validate": {"pattern": 5}}]) == [
        ("parameters[0].validate.pattern", "Key 'pattern' must be a string, got a number.")
    ]


def test_pattern_object_form_warns() -> None:
    spec, problems = parse_parameters(
        [{"name": "a", "type": "text", "validate": {"pattern": {"regexp": "^a", "label": "starts with a"}}}]
    )
    assert [(p.path, p.severity) for p in problems] == [("parameters[0].validate.pattern", "warning")]
    assert spec.fields[0].rules.pattern_label == "starts with a"


def test_min_greater_than_max() -> None:
    assert errors_of([{"name": "a", "type": "text", "validate": {"min": 5, "max": 2}}]) == [
        ("parameters[0].validate.min", "validate.min (5) is greater than validate.max (2).")
    ]


def test_min_items_greater_than_max_items() -> None:
    assert [
        path
        for path, _m in errors_of(
            [{"name": "a", "type": "array", "validate": {"minItems": 3, "maxItems": 1}}]
        )
    ] == ["parameters[0].validate.minItems"]


def test_min_not_number() -> None:
    assert errors_of([{"name": "a", "type": "number", "validate": {"min": "1"}}]) == [
        ("parameters[0].validate.min", "Key 'min' must be a number, got a string.")
    ]


def test_min_items_fraction() -> None:
    assert errors_of([{"name": "a", "type": "array", "validate": {"minItems": 1.5}}]) == [
        ("parameters[0].validate.minItems", "Key 'minItems' must be a whole number of 0 or more, got 1.5.")
    ]


def test_validate_unknown_key() -> None:
    assert errors_of([{"name": "a", "type": "text", "validate": {"patern": "x"}}]) == [
        ("parameters[0].validate.patern", "Unknown key 'patern'. Did you mean 'pattern'?")
    ]


def test_validate_key_wrong_for_array() -> None:
    assert errors_of([{"name": "a", "type": "array", "validate": {"max": 3}}]) == [
        ("parameters[0].validate.max", "Key 'max' does not apply to fields of type 'array'.")
    ]


def test_validate_wrong_json_type() -> None:
    assert errors_of([{"name": "a", "type": "text", "validate": "yes"}]) == [
        ("parameters[0].validate", "Key 'validate' must be an object or a boolean, got a string.")
    ]


def test_validate_false_disables() -> None:
    spec, problems = parse_parameters(
        [{"name": "a", "type": "select", "options": [{"value": 1}], "validate": False}]
    )
    assert problems == []
    assert spec.fields[0].rules.enabled is False


def test_option_without_value() -> None:
    assert errors_of([{"name": "a", "type": "select", "options": [{"label": "x"}]}]) == [
        ("parameters[0].options[0]", "Option has no 'value'. Add the value stored when the user picks it.")
    ]


def test_option_null_value() -> None:
    assert errors_of([{"name": "a", "type": "select", "options": [{"value": None}]}]) == [
        ("parameters[0].options[0].value", "Option value cannot be null.")
    ]


def test_option_unknown_key() -> None:
    assert errors_of([{"name": "a", "type": "select", "options": [{"value": 1, "lable": "x"}]}]) == [
        ("parameters[0].options[0].lable", "Unknown key 'lable'. Did you mean 'label'?")
    ]


def test_option_not_object() -> None:
    assert errors_of([{"name": "a", "type": "select", "options": ["x"]}]) == [
        ("parameters[0].options[0]", "An option must be an object with 'label' and 'value', got a string.")
    ]


def test_group_needs_label() -> None:
    raw = [{"name": "a", "type": "select", "grouped": True, "options": [{"options": [{"value": 1}]}]}]
    assert errors_of(raw) == [
        ("parameters[0].options[0].label", "An option group needs 'label' as a non-empty string.")
    ]


def test_group_without_grouped_warns() -> None:
    raw = [{"name": "a", "type": "select", "options": [{"label": "G", "options": [{"value": 1}]}]}]
    assert warnings_of(raw) == [
        ("parameters[0].options[0]", 'Option group found, but the field does not set "grouped": true.')
    ]


def test_group_option_path() -> None:
    raw = [
        {
            "name": "a",
            "type": "select",
            "grouped": True,
            "options": [{"label": "G", "options": [{"value": 1}, {"label": "x"}]}],
        }
    ]
    assert [path for path, _m in errors_of(raw)] == ["parameters[0].options[0].options[1]"]


def test_grouped_options_flattened() -> None:
    raw = [
        {
            "name": "a",
            "type": "select",
            "grouped": True,
            "options": [{"label": "G", "options": [{"value": 1}, {"value": 2}]}],
        }
    ]
    spec, _problems = parse_parameters(raw)
    options = spec.fields[0].options
    assert options is not None
    assert [(o.value, o.group) for o in options.options] == [(1, "G"), (2, "G")]


def test_duplicate_option_value_warns() -> None:
    raw = [{"name": "a", "type": "select", "options": [{"value": "x"}, {"value": "x"}]}]
    assert [path for path, _m in warnings_of(raw)] == ["parameters[0].options[1]"]


def test_options_rpc_warns() -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "select", "options": "rpc://listRegions"}])
    assert [(p.path, p.severity) for p in problems] == [("parameters[0].options", "warning")]
    assert spec.remote == ("rpc://listRegions",)


def test_options_object_needs_store() -> None:
    assert errors_of([{"name": "a", "type": "select", "options": {"label": "name"}}]) == [
        ("parameters[0].options", "Options as an object need 'store': a list of options or an RPC URL.")
    ]


def test_options_object_unknown_key() -> None:
    assert errors_of([{"name": "a", "type": "select", "options": {"store": [], "nestd": []}}]) == [
        ("parameters[0].options.nestd", "Unknown key 'nestd'. Did you mean 'nested'?")
    ]


def test_options_on_text_warns() -> None:
    assert warnings_of([{"name": "a", "type": "text", "options": [{"value": 1}]}]) == [
        ("parameters[0].options", "Key 'options' has no effect on fields of type 'text'.")
    ]


def test_option_default_sets_field_default() -> None:
    spec, _problems = parse_parameters(
        [{"name": "a", "type": "select", "options": [{"value": 1}, {"value": 2, "default": True}]}]
    )
    assert spec.fields[0].default == 2


def test_no_default_marker() -> None:
    spec, _problems = parse_parameters([{"name": "a", "type": "text"}])
    assert spec.fields[0].default is NO_DEFAULT


def test_default_failing_checks_warns() -> None:
    assert warnings_of([{"name": "a", "type": "port", "default": 70000}]) == [
        (
            "parameters[0].default",
            "The default value fails the field's own checks: Value '70000' is not a valid port. Use a whole number from 1 to 65535.",
        )
    ]


def test_nested_list_parsed() -> None:
    spec, problems = parse_parameters(
        [{"name": "a", "type": "boolean", "nested": [{"name": "b", "type": "text"}]}]
    )
    assert problems == []
    nested = spec.fields[0].nested
    assert nested is not None
    assert [f.path for f in nested.fields] == ["parameters[0].nested[0]"]


def test_nested_rpc_warns() -> None:
    assert [
        (p, m.startswith("Fields from the RPC"))
        for p, m in warnings_of([{"name": "a", "type": "text", "nested": "rpc://more"}])
    ] == [("parameters[0].nested", True)]


def test_nested_store_form() -> None:
    spec, problems = parse_parameters(
        [
            {
                "name": "a",
                "type": "text",
                "nested": {"store": [{"name": "b", "type": "text"}], "domain": "parameters"},
            }
        ]
    )
    assert problems == []
    nested = spec.fields[0].nested
    assert nested is not None
    assert nested.fields[0].path == "parameters[0].nested.store[0]"


def test_nested_store_missing() -> None:
    assert errors_of([{"name": "a", "type": "text", "nested": {"domain": "x"}}]) == [
        ("parameters[0].nested", "Nested fields as an object need 'store': a list of fields or an RPC URL.")
    ]


def test_nested_foreign_domain_warns() -> None:
    assert [
        p
        for p, _m in warnings_of([{"name": "a", "type": "text", "nested": {"store": [], "domain": "expect"}}])
    ] == ["parameters[0].nested.domain"]


def test_boolean_branches_parsed() -> None:
    raw = [
        {
            "name": "a",
            "type": "boolean",
            "nested": {"true": [{"name": "t", "type": "text"}], "false": [{"name": "f", "type": "text"}]},
        }
    ]
    spec, problems = parse_parameters(raw)
    assert problems == []
    assert spec.fields[0].nested is not None
    assert spec.fields[0].nested_when_false is not None
    assert spec.fields[0].nested_when_false.fields[0].path == "parameters[0].nested.false[0]"


def test_boolean_branches_on_text() -> None:
    assert errors_of([{"name": "a", "type": "text", "nested": {"true": []}}]) == [
        (
            "parameters[0].nested",
            'The {"true": [...], "false": [...]} form of nested applies only to boolean fields.',
        )
    ]


def test_nested_wrong_json_type() -> None:
    assert errors_of([{"name": "a", "type": "text", "nested": 5}]) == [
        (
            "parameters[0].nested",
            "Key 'nested' must be a list of fields, an RPC URL or {store, domain}, got a number.",
        )
    ]


def test_nested_field_errors_have_paths() -> None:
    raw = [
        {"name": "m", "type": "select", "options": [{"value": 1, "nested": [{"name": "x", "type": "txt"}]}]}
    ]
    assert [p for p, _m in errors_of(raw)] == ["parameters[0].options[0].nested[0].type"]


def test_collection_spec_list() -> None:
    spec, problems = parse_parameters(
        [{"name": "c", "type": "collection", "spec": [{"name": "x", "type": "text"}]}]
    )
    assert problems == []
    assert [child.name for child in spec.fields[0].children] == ["x"]


def test_array_spec_single_field() -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "array", "spec": {"type": "number"}}])
    assert problems == []
    item = spec.fields[0].item
    assert item is not None
    assert item.type == "number"


def test_array_spec_list() -> None:
    spec, problems = parse_parameters(
        [{"name": "a", "type": "array", "spec": [{"name": "k", "type": "text"}]}]
    )
    assert problems == []
    assert spec.fields[0].children[0].path == "parameters[0].spec[0]"


def test_array_spec_rpc() -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "array", "spec": "rpc://itemFields"}])
    assert [p.severity for p in problems] == ["warning"]
    assert spec.fields[0].remote_spec == "rpc://itemFields"


def test_spec_wrong_json_type() -> None:
    assert errors_of([{"name": "a", "type": "array", "spec": 3}]) == [
        ("parameters[0].spec", "Key 'spec' must be a list of fields, one field or an RPC URL, got a number.")
    ]


def test_spec_child_error_path() -> None:
    raw = [{"name": "a", "type": "array", "spec": [{"name": "k", "type": "text", "required": "yes"}]}]
    assert errors_of(raw) == [
        ("parameters[0].spec[0].required", "Key 'required' must be true or false, got a string.")
    ]


def test_rpc_string_field_warns() -> None:
    spec, problems = parse_parameters(["rpc://fields", {"name": "a", "type": "text"}])
    assert [(p.path, p.severity) for p in problems] == [("parameters[0]", "warning")]
    assert spec.remote == ("rpc://fields",)
    assert [f.name for f in spec.fields] == ["a"]


def test_plain_string_field_error() -> None:
    assert errors_of(["apiKey"]) == [
        ("parameters[0]", "A field must be an object, or an RPC URL such as 'rpc://listFields'.")
    ]


def test_field_not_object() -> None:
    assert errors_of([5]) == [("parameters[0]", "A field must be an object, got a number.")]


def test_top_level_not_list() -> None:
    assert errors_of({"name": "a"}) == [
        ("parameters", "The parameters spec must be a list of fields, got an object.")
    ]


def test_top_level_rpc_string() -> None:
    spec, problems = parse_parameters("rpc://allFields")
    assert spec.fields == ()
    assert [p.severity for p in problems] == ["warning"]


def test_none_is_empty() -> None:
    spec, problems = parse_parameters(None)
    assert spec.fields == ()
    assert problems == []


def test_editable_object_needs_enabled() -> None:
    assert errors_of([{"name": "a", "type": "text", "editable": {"help": "h"}}]) == [
        ("parameters[0].editable", "Key 'editable' as an object needs 'enabled': true or false.")
    ]


def test_mappable_object_needs_help() -> None:
    assert errors_of([{"name": "a", "type": "text", "mappable": {}}]) == [
        ("parameters[0].mappable", "Key 'mappable' as an object needs 'help' as a string.")
    ]


def test_tags_value_checked() -> None:
    assert errors_of([{"name": "a", "type": "text", "tags": "bad"}]) == [
        (
            "parameters[0].tags",
            "Key 'tags' must be one of 'strip', 'stripall', 'escape' or an IML expression.",
        )
    ]


def test_mode_iml_accepted() -> None:
    assert (
        errors_of(
            [
                {
                    "name": "a",
                    "type": "select",
                    "options": [{"value": 1}],
                    "mode": "{{if(x, 'edit', 'choose')}}",
                }
            ]
        )
        == []
    )


def test_rpc_button_checked() -> None:
    assert errors_of([{"name": "a", "type": "text", "rpc": {"url": "rpc://x"}}]) == [
        ("parameters[0].rpc.label", "Key 'rpc' needs 'label' as a string.")
    ]


def test_label_wrong_json_type() -> None:
    assert errors_of([{"name": "a", "type": "text", "label": 3}]) == [
        ("parameters[0].label", "Key 'label' must be a string, got a number.")
    ]


def test_json_path_prefix() -> None:
    _spec, problems = parse_parameters([{"name": "a", "type": "txt"}], json_path="connection.parameters")
    assert [p.path for p in problems] == ["connection.parameters[0].type"]


def test_file_recorded() -> None:
    spec, problems = parse_parameters([{"name": "a", "type": "txt"}], file="x.params.iml.json")
    assert spec.file == "x.params.iml.json"
    assert problems[0].file == "x.params.iml.json"


def test_positions_callback() -> None:
    table = {"parameters[0].type": (3, 17)}
    _spec, problems = parse_parameters([{"name": "a", "type": "txt"}], positions=table.get)
    assert (problems[0].line, problems[0].column) == (3, 17)


def test_positions_fall_back_to_ancestor() -> None:
    table = {"parameters[0]": (2, 5)}
    _spec, problems = parse_parameters(
        [{"name": "a", "type": "text", "validate": {"min": "x"}}], positions=table.get
    )
    assert (problems[0].line, problems[0].column) == (2, 5)


def test_best_effort_spec_with_errors() -> None:
    spec, problems = parse_parameters(
        [{"name": "a", "type": "txt"}, {"name": "b", "type": "password", "lable": "B"}]
    )
    assert [f.name for f in spec.fields] == ["a", "b"]
    assert spec.secret_names() == {"b"}
    assert all(isinstance(p, Problem) for p in problems)
    assert len(problems) == 2
