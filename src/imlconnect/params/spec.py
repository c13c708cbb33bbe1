"""Parsing and checking of a parameters spec (Make's form field definitions).

`parse_parameters` checks every key against the keys Make's spec schema allows (the JSON schema
of the Make Apps VS Code extension, release 2.8.0), the field types, names, `validate` rules,
select options, nested fields and collection or array `spec`. It always returns a
`ParameterSpec`, built as well as the input allows, together with every problem found.

Spec paths use 0-based indices, as JSON paths into the file do: `parameters[2].validate.pattern`.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from typing import Any, Literal

from imlconnect.errors import Problem
from imlconnect.params import messages
from imlconnect.params.fields import (
    BOOLEAN_TYPES,
    DISPLAY_TYPES,
    KNOWN_TYPES,
    NO_DEFAULT,
    SELECT_TYPES,
    TYPE_ALIASES,
    Field,
    NestedFields,
    Option,
    ParameterSpec,
    SelectOptions,
    ValidationRules,
    strict_equal,
)
from imlconnect.params.validate import JsPattern, PatternError, check_scalar, compile_js_pattern

logger = logging.getLogger(__name__)

Positions = Callable[[str], "tuple[int, int] | None"]

#: Keys a field may have. Unknown keys are errors, as in Make's spec schema.
FIELD_KEYS: frozenset[str] = frozenset(
    {
        "name",
        "type",
        "label",
        "help",
        "required",
        "default",
        "advanced",
        "editable",
        "mappable",
        "semantic",
        "visible",
        "metadata",
        "labels",
        "convert",
        "coder",
        "dynamic",
        "sequence",
        "sort",
        "mode",
        "rpc",
        "tags",
        "multiline",
        "time",
        "extension",
        "codepage",
        "schema",
        "grouped",
        "multiple",
        "spec",
        "pattern",
        "nested",
        "options",
        "validate",
        "placeholder",
        "reversedNested",
        "title",
        "text",
        "closable",
        "theme",
        "badge",
    }
)
OPTION_KEYS: frozenset[str] = frozenset({"label", "value", "nested", "default", "short", "description"})
GROUP_KEYS: frozenset[str] = frozenset({"label", "options"})
OPTIONS_OBJECT_KEYS: frozenset[str] = frozenset(
    {
        "store",
        "label",
        "value",
        "default",
        "learning",
        "placeholder",
        "nested",
        "operators",
        "logic",
        "scope",
        "ids",
        "showRoot",
        "singleLevel",
    }
)
VALIDATE_KEYS: frozenset[str] = frozenset({"min", "max", "pattern", "enum", "minItems", "maxItems"})
ARRAY_VALIDATE_KEYS: frozenset[str] = frozenset({"minItems", "maxItems", "enum"})

_BOOLEAN_KEYS = (
    "required",
    "advanced",
    "grouped",
    "multiple",
    "multiline",
    "dynamic",
    "sequence",
    "coder",
    "time",
    "closable",
    "reversedNested",
)
_STRING_KEYS = ("semantic", "visible", "sort", "codepage", "title", "text", "theme", "badge")
_OBJECT_KEYS = ("labels", "metadata", "convert")
_OPTION_TYPES = SELECT_TYPES | {"file", "folder", "filter"}

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def _json_kind(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def closest(word: str, candidates: frozenset[str] | set[str]) -> str | None:
    """Return the candidate closest to `word` (case-insensitive first), or None if none is close."""
    lowered = {candidate.lower(): candidate for candidate in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def is_iml(text: str) -> bool:
    return "{{" in text and "}}" in text


class _SpecParser:
    """One run of `parse_parameters`: collects problems while building the models."""

    def __init__(self, file: str | None, positions: Positions | None) -> None:
        self.file = file
        self.positions = positions
        self.problems: list[Problem] = []
        self.remote: list[str] = []

    # --- reporting -------------------------------------------------------------------------

    def locate(self, path: str) -> tuple[int, int] | None:
        """Find the line and column of `path`, or of its closest ancestor that has a position."""
        if self.positions is None:
            return None
        candidate = path
        while candidate:
            found = self.positions(candidate)
            if found is not None:
                return found
            cut = max(candidate.rfind("."), candidate.rfind("["))
            if cut <= 0:
                break
            candidate = candidate[:cut]
        return None

    def report(self, path: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        where = self.locate(path)
        line, column = where if where is not None else (None, None)
        self.problems.append(
            Problem(path=path, message=message, file=self.file, line=line, column=column, severity=severity)
        )

    def warn(self, path: str, message: str) -> None:
        self.report(path, message, "warning")

    def wrong_type(self, path: str, key: str, expected: str, value: Any) -> None:
        self.report(path, messages.wrong_key_type(key, expected, _json_kind(value)))

    # --- lists of fields -------------------------------------------------------------------

    def parse_field_list(self, raw: Any, path: str) -> tuple[tuple[Field, ...], str | None]:
        """Parse a list of fields (or an RPC string standing for one). Return fields and RPC URL."""
        if isinstance(raw, str):
            self.remote_fields(raw, path)
            return (), raw
        if not isinstance(raw, list):
            self.report(path, f"Expected a list of fields, got {_json_kind(raw)}.")
            return (), None
        fields: list[Field] = []
        for index, item in enumerate(raw):
            item_path = f"{path}[{index}]"
            if isinstance(item, str):
                self.remote_fields(item, item_path)
                continue
            parsed = self.parse_field(item, item_path)
            if parsed is not None:
                fields.append(parsed)
        return tuple(fields), None

    def remote_fields(self, url: str, path: str) -> None:
        if url.startswith("rpc://"):
            self.remote.append(url)
            self.warn(
                path,
                f"Fields from the RPC '{url}' are not resolved offline, so values of those fields "
                "are not validated.",
            )
        else:
            self.report(path, "A field must be an object, or an RPC URL such as 'rpc://listFields'.")

    # --- one field -------------------------------------------------------------------------

    def parse_field(self, raw: Any, path: str, *, is_item: bool = False) -> Field | None:
        if not isinstance(raw, dict):
            self.report(path, f"A field must be an object, got {_json_kind(raw)}.")
            return None
        for key in raw:
            if key not in FIELD_KEYS:
                self.report(f"{path}.{key}", messages.unknown_key(key, closest(key, FIELD_KEYS)))

        field_type = self.field_type(raw, path)
        name = self.field_name(raw, path, field_type, required=not is_item)
        label = self.text_key(raw, path, "label", max_length=256)
        help_text = self.text_key(raw, path, "help")
        flags = {key: self.boolean_key(raw, path, key) for key in _BOOLEAN_KEYS}
        for key in _STRING_KEYS:
            if key in raw and not isinstance(raw[key], str):
                self.wrong_type(f"{path}.{key}", key, "a string", raw[key])
        for key in _OBJECT_KEYS:
            if key in raw and not isinstance(raw[key], dict):
                self.wrong_type(f"{path}.{key}", key, "an object", raw[key])
        self.check_ui_keys(raw, path)
        mappable = self.check_mappable(raw, path)

        rules = self.parse_rules(raw, path, field_type)
        options = self.parse_options(raw, path, field_type, bool(flags["grouped"]))
        nested, nested_when_false = self.parse_field_nested(raw, path, field_type)
        children, item, remote_spec = self.parse_spec_key(raw, path, field_type)

        default = raw.get("default", NO_DEFAULT)
        if default is NO_DEFAULT and options is not None:
            default = self.default_from_options(options, bool(flags["multiple"]))

        field = Field(
            name=name,
            type=field_type,
            path=path,
            label=label,
            help=help_text,
            required=bool(flags["required"]),
            default=default,
            advanced=bool(flags["advanced"]),
            mappable=mappable,
            multiple=bool(flags["multiple"]),
            reversed_nested=bool(flags["reversedNested"]),
            rules=rules,
            options=options,
            nested=nested,
            nested_when_false=nested_when_false,
            children=children,
            item=item,
            remote_spec=remote_spec,
            raw=raw,
        )
        self.check_default(field, path)
        return field

    def field_type(self, raw: dict[str, Any], path: str) -> str:
        if "type" not in raw:
            self.report(path, 'Field has no type. Add "type", for example "text".')
            return "text"
        value = raw["type"]
        type_path = f"{path}.type"

        if not isinstance(value, str) or not value:
            self.report(type_path, f"Field type must be a non-empty string, got {_json_kind(value)}.")
            return "any"
        if is_iml(value):
            self.warn(
                type_path,
                "The field type is an IML expression, which cannot be resolved offline; "
                "values of this field are not type-checked.",
            )
            return "any"

        lowered = value.lower()
        if lowered in KNOWN_TYPES:
            if value != lowered:
                self.warn(type_path, f"Write field types in lower case: '{lowered}'.")
            return lowered
        canonical_names = {name.lower(): name for name in KNOWN_TYPES}
        if lowered in canonical_names:
            canonical = canonical_names[lowered]
            self.warn(type_path, f"Write the field type as '{canonical}'.")
            return canonical

        if lowered in TYPE_ALIASES:
            canonical = TYPE_ALIASES[lowered]
            self.warn(
                type_path,
                f"Type '{value}' is an alias of '{canonical}' that only newer make-forman-schema versions accept; "
                f"write '{canonical}'.",
            )
            return canonical
        self.report(type_path, messages.unknown_type(value, closest(value, KNOWN_TYPES)))
        return "any"

    def field_name(self, raw: dict[str, Any], path: str, field_type: str, *, required: bool) -> str | None:
        if "name" not in raw:
            if required and field_type not in DISPLAY_TYPES:
                self.report(path, 'Field has no name. Add "name": the key its value is stored under.')
            return None
        name = raw["name"]
        name_path = f"{path}.name"
        if not isinstance(name, str):
            self.wrong_type(name_path, "name", "a string", name)
            return None
        if not name:
            self.report(name_path, "Field name is empty. Use the key the value is stored under.")
            return None
        if len(name) > 128:
            self.report(name_path, f"Field name is {len(name)} characters long; the maximum is 128.")
        return name

    def text_key(self, raw: dict[str, Any], path: str, key: str, max_length: int | None = None) -> str | None:
        if key not in raw:
            return None
        value = raw[key]
        if not isinstance(value, str):
            self.wrong_type(f"{path}.{key}", key, "a string", value)
            return None
        if not value:
            self.warn(f"{path}.{key}", f"Key '{key}' is empty; remove it or write the text.")
        elif max_length is not None and len(value) > max_length:
            self.warn(
                f"{path}.{key}", f"Key '{key}' is {len(value)} characters long; the maximum is {max_length}."
            )
        return value or None

    def boolean_key(self, raw: dict[str, Any], path: str, key: str) -> bool | None:
        if key not in raw:
            return None
        value = raw[key]
        if not isinstance(value, bool):
            self.wrong_type(f"{path}.{key}", key, "true or false", value)
            return None
        return value

    def check_ui_keys(self, raw: dict[str, Any], path: str) -> None:
        """Check the keys that only shape the form: editable, tags, mode, extension, schema, rpc."""
        if "editable" in raw:
            editable = raw["editable"]
            if isinstance(editable, dict):
                for key in editable:
                    if key not in ("enabled", "help"):
                        self.report(
                            f"{path}.editable.{key}",
                            messages.unknown_key(key, closest(key, {"enabled", "help"})),
                        )
                if not isinstance(editable.get("enabled"), bool):
                    self.report(
                        f"{path}.editable", "Key 'editable' as an object needs 'enabled': true or false."
                    )
            elif not isinstance(editable, bool):
                self.wrong_type(f"{path}.editable", "editable", "true, false or {enabled, help}", editable)
        for key, allowed in (("tags", ("strip", "stripall", "escape")), ("mode", ("edit", "choose"))):
            if key not in raw:
                continue
            value = raw[key]
            if not isinstance(value, str) or (value not in allowed and not is_iml(value)):
                listed = ", ".join(f"'{item}'" for item in allowed)
                self.report(f"{path}.{key}", f"Key '{key}' must be one of {listed} or an IML expression.")
        if "extension" in raw:
            extension = raw["extension"]
            valid = isinstance(extension, str) or (
                isinstance(extension, list) and all(isinstance(item, str) for item in extension)
            )
            if not valid:
                self.wrong_type(f"{path}.extension", "extension", "a string or a list of strings", extension)
        if "schema" in raw and not isinstance(raw["schema"], (dict, bool)):
            self.wrong_type(f"{path}.schema", "schema", "a JSON Schema object", raw["schema"])
        if "rpc" in raw:
            self.check_rpc_button(raw["rpc"], f"{path}.rpc")

    def check_rpc_button(self, rpc: Any, path: str) -> None:
        if not isinstance(rpc, dict):
            self.wrong_type(path, "rpc", "an object with 'url' and 'label'", rpc)
            return
        for key in rpc:
            if key not in ("url", "label", "parameters"):
                self.report(
                    f"{path}.{key}", messages.unknown_key(key, closest(key, {"url", "label", "parameters"}))
                )
        for key in ("url", "label"):
            if not isinstance(rpc.get(key), str):
                self.report(f"{path}.{key}", f"Key 'rpc' needs '{key}' as a string.")
        if "parameters" in rpc:
            self.parse_field_list(rpc["parameters"], f"{path}.parameters")

    def check_mappable(self, raw: dict[str, Any], path: str) -> bool:
        if "mappable" not in raw:
            return True
        value = raw["mappable"]
        if isinstance(value, bool):
            return value
        if isinstance(value, dict):
            for key in value:
                if key != "help":
                    self.report(f"{path}.mappable.{key}", messages.unknown_key(key, closest(key, {"help"})))
            if not isinstance(value.get("help"), str):
                self.report(f"{path}.mappable", "Key 'mappable' as an object needs 'help' as a string.")
            return True
        self.wrong_type(f"{path}.mappable", "mappable", "true, false or {help}", value)
        return True

    # --- validate --------------------------------------------------------------------------

    def parse_rules(self, raw: dict[str, Any], path: str, field_type: str) -> ValidationRules:
        pattern: JsPattern | None = None
        if "pattern" in raw:
            # NOTE: Make's spec schema allows `pattern` beside `validate`; it is applied like
            # `validate.pattern` here, which Make's own behaviour was not checked to confirm.
            pattern = self.compile_pattern(raw["pattern"], f"{path}.pattern")
        if "validate" not in raw:
            return ValidationRules(pattern=pattern)
        validate = raw["validate"]
        validate_path = f"{path}.validate"
        if isinstance(validate, bool):
            return ValidationRules(enabled=validate, pattern=pattern)
        if not isinstance(validate, dict):
            self.wrong_type(validate_path, "validate", "an object or a boolean", validate)
            return ValidationRules(pattern=pattern)

        allowed = ARRAY_VALIDATE_KEYS if field_type == "array" else VALIDATE_KEYS
        for key in validate:
            if key not in allowed:
                if key in VALIDATE_KEYS:
                    self.report(
                        f"{validate_path}.{key}",
                        f"Key '{key}' does not apply to fields of type '{field_type}'.",
                    )
                else:
                    self.report(f"{validate_path}.{key}", messages.unknown_key(key, closest(key, allowed)))

        minimum = self.number_rule(validate, validate_path, "min")
        maximum = self.number_rule(validate, validate_path, "max")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.report(
                f"{validate_path}.min", f"validate.min ({minimum}) is greater than validate.max ({maximum})."
            )
        min_items = self.count_rule(validate, validate_path, "minItems")
        max_items = self.count_rule(validate, validate_path, "maxItems")
        if min_items is not None and max_items is not None and min_items > max_items:
            self.report(
                f"{validate_path}.minItems",
                f"validate.minItems ({min_items}) is greater than validate.maxItems ({max_items}).",
            )

        pattern_label: str | None = None
        if "pattern" in validate:
            pattern, pattern_label = self.parse_pattern_rule(validate["pattern"], f"{validate_path}.pattern")

        enum: tuple[Any, ...] | None = None
        if "enum" in validate:
            if isinstance(validate["enum"], list):
                enum = tuple(validate["enum"])
            else:
                self.wrong_type(f"{validate_path}.enum", "enum", "a list of values", validate["enum"])

        return ValidationRules(
            enabled=True,
            min=minimum,
            max=maximum,
            pattern=pattern,
            pattern_label=pattern_label,
            enum=enum,
            min_items=min_items,
            max_items=max_items,
        )

    def number_rule(self, validate: dict[str, Any], path: str, key: str) -> int | float | None:
        if key not in validate:
            return None
        value = validate[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.wrong_type(f"{path}.{key}", key, "a number", value)
            return None
        return value

    def count_rule(self, validate: dict[str, Any], path: str, key: str) -> int | None:
        if key not in validate:
            return None
        value = validate[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.report(
                f"{path}.{key}",
                f"Key '{key}' must be a whole number of 0 or more, got {messages.quote_value(value)}.",
            )
            return None
        return value

    def parse_pattern_rule(self, raw: Any, path: str) -> tuple[JsPattern | None, str | None]:
        if isinstance(raw, dict):
            # The `{regexp, label}` form is read by make-forman-schema but not by Make's spec schema.
            self.warn(
                path, "The object form of validate.pattern is not in Make's spec schema; prefer a string."
            )
            for key in raw:
                if key not in ("regexp", "label"):
                    self.report(f"{path}.{key}", messages.unknown_key(key, closest(key, {"regexp", "label"})))
            label = raw.get("label")
            if label is not None and not isinstance(label, str):
                self.wrong_type(f"{path}.label", "label", "a string", label)
                label = None
            if "regexp" not in raw:
                self.report(path, "validate.pattern as an object needs 'regexp'.")
                return None, None
            return self.compile_pattern(raw["regexp"], f"{path}.regexp"), label
        return self.compile_pattern(raw, path), None

    def compile_pattern(self, raw: Any, path: str) -> JsPattern | None:
        if not isinstance(raw, str):
            self.wrong_type(path, "pattern", "a string", raw)
            return None
        try:
            return compile_js_pattern(raw)
        except PatternError as error:
            self.report(path, str(error), "warning" if error.unsupported else "error")
            return None

    # --- select options --------------------------------------------------------------------

    def parse_options(
        self, raw: dict[str, Any], path: str, field_type: str, grouped: bool
    ) -> SelectOptions | None:
        if "options" not in raw:
            return None
        options_raw = raw["options"]
        options_path = f"{path}.options"
        if field_type not in _OPTION_TYPES:
            self.warn(options_path, f"Key 'options' has no effect on fields of type '{field_type}'.")
        placeholder_label, placeholder_nested = self.parse_placeholder(
            raw.get("placeholder"), f"{path}.placeholder"
        )

        if isinstance(options_raw, str):
            self.remote_options(options_raw, options_path)
            return SelectOptions(
                path=options_path,
                remote=options_raw,
                placeholder_label=placeholder_label,
                placeholder_nested=placeholder_nested,
            )
        if isinstance(options_raw, list):
            return SelectOptions(
                path=options_path,
                options=self.parse_option_list(options_raw, options_path, grouped, "value"),
                placeholder_label=placeholder_label,
                placeholder_nested=placeholder_nested,
            )
        if not isinstance(options_raw, dict):
            self.wrong_type(
                options_path, "options", "a list, an RPC URL or an object with 'store'", options_raw
            )
            return None

        for key in options_raw:
            if key not in OPTIONS_OBJECT_KEYS:
                self.report(
                    f"{options_path}.{key}", messages.unknown_key(key, closest(key, OPTIONS_OBJECT_KEYS))
                )
        value_key = options_raw.get("value", "value")
        if not isinstance(value_key, str):
            self.wrong_type(f"{options_path}.value", "value", "a property name", value_key)
            value_key = "value"
        if "label" in options_raw and not isinstance(options_raw["label"], str):
            self.wrong_type(f"{options_path}.label", "label", "a property name", options_raw["label"])
        if "placeholder" in options_raw:
            placeholder_label, placeholder_nested = self.parse_placeholder(
                options_raw["placeholder"], f"{options_path}.placeholder"
            )
        store_nested = None
        if "nested" in options_raw:
            store_nested = self.parse_nested(options_raw["nested"], f"{options_path}.nested", field_type)

        store = options_raw.get("store")
        store_path = f"{options_path}.store"
        remote: str | None = None
        parsed: tuple[Option, ...] = ()
        if isinstance(store, str):
            self.remote_options(store, store_path)
            remote = store
        elif isinstance(store, list):
            parsed = self.parse_option_list(store, store_path, grouped, value_key)
        elif store is None and field_type in SELECT_TYPES:
            self.report(options_path, "Options as an object need 'store': a list of options or an RPC URL.")
        elif store is not None:
            self.wrong_type(store_path, "store", "a list of options or an RPC URL", store)
        return SelectOptions(
            path=options_path,
            options=parsed,
            remote=remote,
            nested=store_nested,
            placeholder_label=placeholder_label,
            placeholder_nested=placeholder_nested,
        )

    def remote_options(self, url: str, path: str) -> None:
        self.remote.append(url)
        self.warn(
            path,
            f"Options from the RPC '{url}' are not resolved offline, so values are not checked against them.",
        )

    def parse_placeholder(self, raw: Any, path: str) -> tuple[str | None, NestedFields | None]:
        if raw is None:
            return None, None
        if isinstance(raw, str):
            return raw, None
        if not isinstance(raw, dict):
            self.wrong_type(path, "placeholder", "a string or {label, nested}", raw)
            return None, None
        for key in raw:
            if key not in ("label", "nested"):
                self.report(f"{path}.{key}", messages.unknown_key(key, closest(key, {"label", "nested"})))
        label = raw.get("label")
        if label is not None and not isinstance(label, str):
            self.wrong_type(f"{path}.label", "label", "a string", label)
            label = None
        nested = self.parse_nested(raw["nested"], f"{path}.nested", "select") if "nested" in raw else None
        return label, nested

    def parse_option_list(
        self, raw: list[Any], path: str, grouped: bool, value_key: str
    ) -> tuple[Option, ...]:
        options: list[Option] = []
        warned_group = False
        for index, item in enumerate(raw):
            item_path = f"{path}[{index}]"
            if isinstance(item, dict) and "options" in item and value_key not in item:
                if not grouped and not warned_group:
                    self.warn(item_path, 'Option group found, but the field does not set "grouped": true.')
                    warned_group = True
                options.extend(self.parse_group(item, item_path, value_key))
                continue
            option = self.parse_option(
                item, item_path, value_key, group=None, check_keys=value_key == "value"
            )
            if option is not None:
                options.append(option)
        seen: list[Any] = []
        for option in options:
            if any(strict_equal(option.value, earlier) for earlier in seen):
                self.warn(
                    option.path, f"Option value {messages.quote_value(option.value)} appears more than once."
                )
            seen.append(option.value)
        return tuple(options)

    def parse_group(self, raw: dict[str, Any], path: str, value_key: str) -> list[Option]:
        for key in raw:
            if key not in GROUP_KEYS:
                self.report(f"{path}.{key}", messages.unknown_key(key, closest(key, GROUP_KEYS)))
        label = raw.get("label")
        if not isinstance(label, str) or not label:
            self.report(f"{path}.label", "An option group needs 'label' as a non-empty string.")
            label = None
        members = raw["options"]
        if not isinstance(members, list):
            self.wrong_type(f"{path}.options", "options", "a list of options", members)
            return []
        options: list[Option] = []
        for index, item in enumerate(members):
            option = self.parse_option(
                item, f"{path}.options[{index}]", value_key, group=label, check_keys=value_key == "value"
            )
            if option is not None:
                options.append(option)
        return options

    def parse_option(
        self, raw: Any, path: str, value_key: str, *, group: str | None, check_keys: bool
    ) -> Option | None:
        if not isinstance(raw, dict):
            self.report(
                path, f"An option must be an object with 'label' and '{value_key}', got {_json_kind(raw)}."
            )
            return None
        if check_keys:
            for key in raw:
                if key not in OPTION_KEYS:
                    self.report(f"{path}.{key}", messages.unknown_key(key, closest(key, OPTION_KEYS)))
        if value_key not in raw:
            self.report(path, f"Option has no '{value_key}'. Add the value stored when the user picks it.")
            return None
        value = raw[value_key]
        if value is None:
            self.report(f"{path}.{value_key}", "Option value cannot be null.")
            return None
        label = raw.get("label")
        if label is not None and not isinstance(label, str):
            if check_keys:
                self.wrong_type(f"{path}.label", "label", "a string", label)
            label = None
        default = raw.get("default", False)
        if not isinstance(default, bool):
            self.wrong_type(f"{path}.default", "default", "true or false", default)
            default = False
        nested = self.parse_nested(raw["nested"], f"{path}.nested", "select") if "nested" in raw else None
        return Option(path=path, value=value, label=label, nested=nested, default=default, group=group)

    def default_from_options(self, options: SelectOptions, multiple: bool) -> Any:
        preselected = [option.value for option in options.options if option.default]
        if not preselected:
            return NO_DEFAULT
        return preselected if multiple else preselected[0]

    # --- nested fields ---------------------------------------------------------------------

    def parse_field_nested(
        self, raw: dict[str, Any], path: str, field_type: str
    ) -> tuple[NestedFields | None, NestedFields | None]:
        if "nested" not in raw:
            return None, None
        nested_raw = raw["nested"]
        nested_path = f"{path}.nested"
        if (
            isinstance(nested_raw, dict)
            and ("true" in nested_raw or "false" in nested_raw)
            and "store" not in nested_raw
        ):
            if field_type not in BOOLEAN_TYPES:
                self.report(
                    nested_path,
                    'The {"true": [...], "false": [...]} form of nested applies only to boolean fields.',
                )
            for key in nested_raw:
                if key not in ("true", "false"):
                    self.report(
                        f"{nested_path}.{key}", messages.unknown_key(key, closest(key, {"true", "false"}))
                    )
            if raw.get("reversedNested") is True:
                self.warn(
                    f"{path}.reversedNested",
                    "Key 'reversedNested' has no effect with the true/false form of nested.",
                )
            when_true = (
                self.parse_nested(nested_raw["true"], f"{nested_path}.true", field_type)
                if "true" in nested_raw
                else None
            )
            when_false = (
                self.parse_nested(nested_raw["false"], f"{nested_path}.false", field_type)
                if "false" in nested_raw
                else None
            )
            return when_true, when_false
        if raw.get("reversedNested") is True and field_type not in BOOLEAN_TYPES:
            self.warn(f"{path}.reversedNested", "Key 'reversedNested' applies only to boolean fields.")
        return self.parse_nested(nested_raw, nested_path, field_type), None

    def parse_nested(self, raw: Any, path: str, field_type: str) -> NestedFields | None:
        if field_type in DISPLAY_TYPES:
            self.warn(path, f"Nested fields have no effect on fields of type '{field_type}'.")
        if isinstance(raw, str):
            self.remote_fields(raw, path)
            return NestedFields(path=path, remote=raw)
        if isinstance(raw, list):
            fields, _remote = self.parse_field_list(raw, path)
            return NestedFields(path=path, fields=fields)
        if isinstance(raw, dict):
            for key in raw:
                if key not in ("store", "domain"):
                    self.report(f"{path}.{key}", messages.unknown_key(key, closest(key, {"store", "domain"})))
            domain = raw.get("domain")
            if domain is not None and not isinstance(domain, str):
                self.wrong_type(f"{path}.domain", "domain", "a string", domain)
                domain = None
            if "store" not in raw:
                self.report(path, "Nested fields as an object need 'store': a list of fields or an RPC URL.")
                return None
            if domain not in (None, "parameters"):
                self.warn(
                    f"{path}.domain",
                    f"Nested fields for the '{domain}' domain are not part of a connection's parameters "
                    "and are not validated.",
                )
            store = raw["store"]
            if isinstance(store, str):
                self.remote_fields(store, f"{path}.store")
                return NestedFields(path=path, remote=store, domain=domain)
            fields, _remote = self.parse_field_list(store, f"{path}.store")
            return NestedFields(path=path, fields=fields, domain=domain)
        self.wrong_type(path, "nested", "a list of fields, an RPC URL or {store, domain}", raw)
        return None

    # --- collection and array spec ---------------------------------------------------------

    def parse_spec_key(
        self, raw: dict[str, Any], path: str, field_type: str
    ) -> tuple[tuple[Field, ...], Field | None, str | None]:
        if "spec" not in raw:
            return (), None, None
        spec = raw["spec"]
        spec_path = f"{path}.spec"
        if field_type not in ("collection", "array"):
            self.warn(spec_path, f"Key 'spec' has no effect on fields of type '{field_type}'.")
        if isinstance(spec, str):
            self.remote_fields(spec, spec_path)
            return (), None, spec
        if isinstance(spec, list):
            fields, remote = self.parse_field_list(spec, spec_path)
            return fields, None, remote
        if isinstance(spec, dict):
            if field_type == "collection":
                self.warn(
                    spec_path,
                    "A collection's spec should be a list of fields; one field object was read as a list of one.",
                )
                fields, remote = self.parse_field_list([spec], spec_path)
                return fields, None, remote
            item = self.parse_item_field(spec, spec_path)
            return (), item, None
        self.wrong_type(spec_path, "spec", "a list of fields, one field or an RPC URL", spec)
        return (), None, None

    def parse_item_field(self, raw: dict[str, Any], path: str) -> Field | None:
        """Parse the single-field spec of an array, whose items need no name."""
        return self.parse_field(raw, path, is_item=True)

    # --- checks across fields --------------------------------------------------------------

    def check_default(self, field: Field, path: str) -> None:
        if (
            not field.has_default
            or field.type in ("hidden", "any", "collection", "array")
            or field.is_display
        ):
            return
        problem = check_scalar(field, field.default)
        if (
            problem is None
            and field.options is not None
            and field.options.remote is None
            and field.rules.enabled
        ):
            defaults = (
                field.default if field.multiple and isinstance(field.default, list) else [field.default]
            )
            for value in defaults:
                if field.type in SELECT_TYPES and field.options.find(value) is None:
                    problem = messages.not_in_options(value, secret=field.is_secret)
                    break
        if problem is not None:
            self.warn(f"{path}.default", f"The default value fails the field's own checks: {problem}")

    def check_names(self, fields: tuple[Field, ...], outer: dict[str, str]) -> None:
        """Report duplicate names within one level: a list of fields plus their nested fields.

        The fields of two branches of one parent (two options of a select) never show together,
        so they may reuse a name. A nested field may not reuse a name of its level.
        """
        level = dict(outer)
        for field in fields:
            if not field.name:
                continue
            if field.name in level:
                self.report(
                    f"{field.path}.name",
                    f"Duplicate field name '{field.name}': {level[field.name]} uses it too. "
                    "Names must be unique within one level, nested fields included.",
                )
            else:
                level[field.name] = field.path
        for field in fields:
            for _condition, group in field.nested_groups():
                self.check_names(group.fields, level)
            if field.children:
                self.check_names(field.children, {})


def parse_parameters(
    raw: Any,
    *,
    file: str | None = None,
    json_path: str = "parameters",
    positions: Positions | None = None,
) -> tuple[ParameterSpec, list[Problem]]:
    """Parse the parameters spec of a connection and check it.

    `raw` is the parsed JSON of a parameters file: a list of fields or RPC strings (`None` is
    read as an empty list). `json_path` prefixes every problem path and `positions(path)` maps a
    path to a 1-based (line, column), or None. Returns the spec, built as well as the input
    allows, and every problem found. Errors mean Make would reject or misread the spec.
    Warnings point at parts that cannot be checked offline or are not portable.
    """
    parser = _SpecParser(file, positions)
    if raw is None:
        return ParameterSpec(file=file), []
    if isinstance(raw, str):
        parser.remote_fields(raw, json_path)
        return ParameterSpec(remote=tuple(parser.remote), file=file), parser.problems
    if not isinstance(raw, list):
        parser.report(json_path, f"The parameters spec must be a list of fields, got {_json_kind(raw)}.")
        return ParameterSpec(file=file), parser.problems
    fields, _remote = parser.parse_field_list(raw, json_path)
    parser.check_names(fields, {})
    spec = ParameterSpec(fields=fields, remote=tuple(parser.remote), file=file)
    errors = sum(1 for problem in parser.problems if problem.severity == "error")
    logger.debug("parsed parameters spec %s: %d fields, %d errors", file or json_path, len(fields), errors)
    return spec, parser.problems
