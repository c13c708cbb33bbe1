"""Typed models of a parameters spec: fields, select options, nested fields and validation rules.

The models are immutable and built only by `imlconnect.params.spec.parse_parameters`. Every
model keeps `path`, the JSON path of its definition in the spec file (0-based indices, as in
`parameters[2].options[0]`), so later findings can point back at the spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from imlconnect.params.validate import JsPattern


class _NoDefault:
    """Marker for a field that has no `default` key at all."""

    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:  # noqa: PYI034 - a singleton, like UNDEFINED
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False


NO_DEFAULT: Final = _NoDefault()

# --- field types -------------------------------------------------------------------------------

#: Types whose value is a string (the form engine's type map).
STRING_TYPES: Final = frozenset(
    {
        "text",
        "password",
        "email",
        "url",
        "uuid",
        "color",
        "date",
        "time",
        "timezone",
        "cert",
        "pkey",
        "buffer",
        "filename",
        "path",
        "file",
        "folder",
        "aiagent",
        "scenario",
    }
)
#: Types whose value is a number; the last three add integrality and range checks.
NUMBER_TYPES: Final = frozenset(
    {"number", "integer", "uinteger", "port", "udt", "account", "hook", "device", "keychain", "datastore"}
)
BOOLEAN_TYPES: Final = frozenset({"boolean", "checkbox"})
SELECT_TYPES: Final = frozenset({"select", "list", "radio"})
#: Types shown in the form but never holding a value.
DISPLAY_TYPES: Final = frozenset({"banner", "markdown", "html", "separator"})
#: Types whose values are secrets: masked when typed and redacted from every output.
SECRET_TYPES: Final = frozenset({"password", "cert", "pkey"})
#: Types whose value is not type-checked at all.
UNCHECKED_TYPES: Final = frozenset({"any", "hidden", "udttype", "udtspec", "dynamicCollection"})

KNOWN_TYPES: Final = frozenset(
    STRING_TYPES
    | NUMBER_TYPES
    | BOOLEAN_TYPES
    | SELECT_TYPES
    | DISPLAY_TYPES
    | UNCHECKED_TYPES
    | {"collection", "array", "json", "filter", "filestorage", "timestamp"}
)

#: Aliases accepted by newer make-forman-schema versions, mapped to the canonical type.
TYPE_ALIASES: Final = {
    "string": "text",
    "bool": "boolean",
    "datetime": "date",
    "float": "number",
    "upload": "filestorage",
}


# --- models ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationRules:
    """The `validate` object of a field.

    `min`/`max` bound the length of text values and the size of numbers; `min_items`/`max_items`
    bound arrays and multiple selects. `pattern` is the compiled `validate.pattern`, or None when
    the spec has none or it could not be compiled. `enabled` is False for `validate: false`,
    which turns off the options check of a select.
    """

    enabled: bool = True
    min: int | float | None = None
    max: int | float | None = None
    pattern: JsPattern | None = None
    pattern_label: str | None = None
    enum: tuple[Any, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class NestedFields:
    """Fields that become active under a condition on their parent.

    `fields` are the static fields. `remote` is an RPC URL that would return more fields, which
    is never resolved offline. `domain` is the value domain of `{store, domain}` nesting, None for
    the parameters themselves.
    """

    path: str
    fields: tuple[Field, ...] = ()
    remote: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class Option:
    """One option of a select. `group` is the label of its group in a grouped list."""

    path: str
    value: Any
    label: str | None = None
    nested: NestedFields | None = None
    default: bool = False
    group: str | None = None


@dataclass(frozen=True)
class SelectOptions:
    """The options of a select in any of the spec's shapes, flattened.

    `remote` is set when the options come from an RPC (a string, or a `store` string), in which
    case `options` is empty and values are not checked offline. `nested` is the store-level
    nesting that applies to any chosen value, `placeholder_nested` applies when the value is empty.
    """

    path: str
    options: tuple[Option, ...] = ()
    remote: str | None = None
    nested: NestedFields | None = None
    placeholder_label: str | None = None
    placeholder_nested: NestedFields | None = None

    def find(self, value: Any) -> Option | None:
        """Find the option whose value equals `value` with JavaScript's strict equality."""
        for option in self.options:
            if strict_equal(option.value, value):
                return option
        return None


@dataclass(frozen=True)
class Field:
    """One field of a parameters spec.

    `type` is the canonical lower-case type name. `default` is `NO_DEFAULT` when the spec has no
    `default` key. For a boolean, `nested` is the branch that is active when the value is true
    (false with `reversedNested`) and `nested_when_false` the `false` branch of the
    `{"true": [...], "false": [...]}` form. For a collection, `children` is its `spec`. For an
    array, `item` is a single-field `spec` and `children` a list `spec` (an array of collections).
    """

    name: str | None
    type: str
    path: str
    label: str | None = None
    help: str | None = None
    required: bool = False
    default: Any = NO_DEFAULT
    advanced: bool = False
    mappable: bool = True
    multiple: bool = False
    reversed_nested: bool = False
    rules: ValidationRules = field(default_factory=ValidationRules)
    options: SelectOptions | None = None
    nested: NestedFields | None = None
    nested_when_false: NestedFields | None = None
    children: tuple[Field, ...] = ()
    item: Field | None = None
    remote_spec: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_display(self) -> bool:
        """True for banners, HTML, markdown and separators, which hold no value."""
        return self.type in DISPLAY_TYPES

    @property
    def is_secret(self) -> bool:
        return self.type in SECRET_TYPES

    @property
    def has_default(self) -> bool:
        """True when the default fills an absent value: `null` and `""` count as no default."""
        return self.default is not NO_DEFAULT and self.default is not None and self.default != ""

    @property
    def title(self) -> str:
        """The label shown to users, or the name when the spec has no label."""
        return self.label or self.name or self.type

    def nested_groups(self) -> Iterator[tuple[str, NestedFields]]:
        """Yield every nested field group with a short condition such as `= "basic"`."""
        if self.nested is not None:
            if self.type in BOOLEAN_TYPES:
                yield ("= false" if self.reversed_nested else "= true"), self.nested
            elif self.type in SELECT_TYPES:
                yield "is set", self.nested
            else:
                yield "is not empty", self.nested
        if self.nested_when_false is not None:
            yield "= false", self.nested_when_false
        if self.options is not None:
            if self.options.nested is not None:
                yield "is set", self.options.nested
            if self.options.placeholder_nested is not None:
                yield "is empty", self.options.placeholder_nested
            for option in self.options.options:
                if option.nested is not None:
                    yield f"= {condition_value(option.value)}", option.nested

    def iter_fields(self) -> Iterator[Field]:
        """Yield this field and every field below it, depth first, in spec order."""
        yield self
        for _condition, group in self.nested_groups():
            for child in group.fields:
                yield from child.iter_fields()
        for child in self.children:
            yield from child.iter_fields()
        if self.item is not None:
            yield from self.item.iter_fields()


def condition_value(value: Any) -> str:
    """Render an option value in a condition: strings quoted, other JSON as JSON."""
    return json.dumps(value, ensure_ascii=False)


def strict_equal(left: Any, right: Any) -> bool:
    """Compare two JSON values as JavaScript's `===`, and objects by their JSON text.

    `"1"` does not equal `1` and `true` does not equal `1`, while `1` equals `1.0`.
    """
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        if type(left) is not type(right):
            return False
        return json.dumps(left, sort_keys=False) == json.dumps(right, sort_keys=False)
    if type(left) is not type(right):
        return False
    return bool(left == right)


@dataclass(frozen=True)
class ParameterSpec:
    """A parsed parameters spec.

    `fields` are the top-level fields (display-only ones included), `remote` the RPC URLs that
    stood in place of fields and were not resolved, `file` the spec file when known.
    """

    fields: tuple[Field, ...] = ()
    remote: tuple[str, ...] = ()
    file: str | None = None

    def iter_fields(self) -> Iterator[Field]:
        """Yield every field, nested and child fields included, depth first in spec order."""
        for top in self.fields:
            yield from top.iter_fields()

    def secret_names(self) -> set[str]:
        """Return the names of password, cert and pkey fields at any depth.

        An array whose items are secret (`spec: {"type": "password"}`) counts by its own name.
        """
        names: set[str] = set()
        for each in self.iter_fields():
            if each.is_secret and each.name:
                names.add(each.name)
            if each.item is not None and each.item.is_secret and each.name:
                names.add(each.name)
        return names

    def secret_paths(self) -> set[str]:
        """Alias of `secret_names`, the name used in the architecture notes."""
        return self.secret_names()

    def secret_values(self, values: Any) -> list[str]:
        """Return the non-empty secret strings present in a values dict, for redaction.

        A value counts as secret when its key is the name of a secret field at the same level,
        so the walk follows collections and arrays of collections. The list has no duplicates and
        keeps the order in which the values were found.
        """
        from imlconnect.params.validate import collect_secret_values

        return collect_secret_values(self, values)

    def missing_required(self, values: Any) -> list[Field]:
        """Return the required fields that are active and have no value, after defaults.

        Only the top level and the nested fields that the current values activate are checked.
        Required fields inside collections and arrays are left to `validate_values`.
        """
        from imlconnect.params.validate import find_missing_required

        return find_missing_required(self, values)
