"""Descriptions of a parameters form for `imlconnect params`: JSON rows and a terminal table.

Rows come in spec order, depth first. A nested field follows its parent with `depth` one more
and a `condition` saying when it shows, such as `method = "basic"`. Fields inside a collection or
an array item follow their container the same way, placed `inside auth` or
`in each item of headers`. Defaults of secret fields are masked.
"""

from __future__ import annotations

import json
from typing import Any

from imlconnect.iml.values import to_json_compatible
from imlconnect.params.fields import Field, ParameterSpec

#: Shown in place of a secret field's default.
MASK = "********"
#: Maximum length of help text in the table. The JSON description keeps the full text.
MAX_HELP_WIDTH = 60


def _default_of(field: Field) -> Any:
    if not field.has_default:
        return None
    if field.is_secret:
        return MASK
    return to_json_compatible(field.default, for_output=False)


def _options_of(field: Field) -> list[dict[str, Any]] | None:
    if field.options is None or field.options.remote is not None:
        return None
    described: list[dict[str, Any]] = []
    for option in field.options.options:
        entry: dict[str, Any] = {"value": to_json_compatible(option.value, for_output=False)}
        entry["label"] = option.label if option.label is not None else None
        if option.group is not None:
            entry["group"] = option.group
        described.append(entry)
    return described


def _row(
    field: Field,
    depth: int,
    parent: str | None,
    condition: str | None,
    placement: str | None,
    trail: list[str],
) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "required": field.required,
        "default": _default_of(field),
        "help": field.help,
        "secret": field.is_secret,
        "advanced": field.advanced,
        "display_only": field.is_display,
        "depth": depth,
        "parent": parent,
        "condition": condition,
        "placement": placement,
        "nesting": " > ".join(trail + [field.name or field.type]),
        "options": _options_of(field),
        "options_from": field.options.remote if field.options is not None else None,
        "spec_path": field.path,
    }


def _describe(
    field: Field,
    depth: int,
    parent: str | None,
    condition: str | None,
    placement: str | None,
    trail: list[str],
    rows: list[dict[str, Any]],
) -> None:
    rows.append(_row(field, depth, parent, condition, placement, trail))
    label = field.name or field.type
    below = trail + [label]
    for when, group in field.nested_groups():
        for child in group.fields:
            condition_text = f"{label} {when}"
            _describe(child, depth + 1, field.name, condition_text, f"when {condition_text}", below, rows)
    for child in field.children:
        where = f"in each item of {label}" if field.type == "array" else f"inside {label}"
        _describe(child, depth + 1, field.name, None, where, below, rows)
    if field.item is not None:
        _describe(field.item, depth + 1, field.name, None, f"each item of {label}", below, rows)


def describe_form(spec: ParameterSpec) -> list[dict[str, Any]]:
    """Describe every field of the form as a JSON-ready dict, in spec order, depth first.

    Keys: name, label, type, required, default (masked for secret fields), help, secret,
    advanced, display_only, depth, parent, nesting (`method > user`) and spec_path.
    `condition` is `method = "basic"` for a nested field and None otherwise. `placement` is the
    heading of the table line above the field (`when method = "basic"`, `inside auth`,
    `in each item of headers`), None at the top level. `options` lists `{value, label, group?}`
    for static options, and `options_from` is the RPC URL of remote options.
    """
    rows: list[dict[str, Any]] = []
    for field in spec.fields:
        _describe(field, 0, None, None, None, [], rows)
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_form_table(spec: ParameterSpec) -> str:
    """Render the form as a plain-text table for terminals.

    Nested fields are indented under their parent, after a line with the condition, such as
    `  ↳ when method = "basic"`. Select options follow their field on an `options:` line.
    Display-only fields (banners, HTML) are left out.
    """
    rows = [row for row in describe_form(spec) if not row["display_only"]]
    if not rows:
        return "This connection has no parameters.\n"
    header = ["NAME", "TYPE", "REQUIRED", "DEFAULT", "LABEL", "HELP"]
    table: list[list[str] | str] = []
    last_placement: tuple[int, str | None] = (0, None)
    for row in rows:
        indent = "  " * row["depth"]
        if row["placement"] and (row["depth"], row["placement"]) != last_placement:
            table.append(f"{'  ' * (row['depth'] - 1)}  ↳ {row['placement']}")
        last_placement = (row["depth"], row["placement"])
        table.append(
            [
                indent + (row["name"] or "[item]"),
                row["type"] + (" (secret)" if row["secret"] else ""),
                "yes" if row["required"] else "no",
                _shorten(_cell(row["default"]), 24),
                _shorten(row["label"] or "", 32),
                _shorten(row["help"] or "", MAX_HELP_WIDTH),
            ]
        )
        if row["options"]:
            listed = ", ".join(_describe_option(option) for option in row["options"])
            table.append(f"{indent}    options: {listed}")
        elif row["options_from"]:
            table.append(f"{indent}    options from {row['options_from']}")

    cells = [line for line in table if isinstance(line, list)]
    widths = [max(len(header[i]), *(len(line[i]) for line in cells)) for i in range(len(header))]
    lines = [_join(header, widths)]
    for line in table:
        lines.append(line if isinstance(line, str) else _join(line, widths))
    return "\n".join(lines) + "\n"


def _describe_option(option: dict[str, Any]) -> str:
    value = _cell(option["value"])
    label = option.get("label")
    return f"{value} ({label})" if label and label != value else value


def _join(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
