"""`imlconnect params PATH`: the parameters form as a table and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
KNOWBE4 = "deepakg-sacumen__make.com-knowbe4-connector-integration__knowbe4-eo1wyq"
OPNFORM = "OpnForm__make-integration__apiKeyAuth"
OAUTH = "warmbly__warmbly__warmbly"
COLUMNS = ["NAME", "TYPE", "REQUIRED", "DEFAULT", "LABEL", "HELP"]

NESTED_PARAMETERS = [
    {"name": "apiKey", "type": "password", "label": "API key", "required": True},
    {"name": "environment", "type": "select", "label": "Environment", "default": "production",
     "options": [
         {"label": "Production", "value": "production"},
         {"label": "Sandbox", "value": "sandbox",
          "nested": [{"name": "sandboxUrl", "type": "url", "label": "Sandbox URL", "required": True}]},
     ]},
    {"name": "useProxy", "type": "boolean", "label": "Use a proxy",
     "nested": [{"name": "proxyHost", "type": "text", "label": "Proxy host", "help": "Host name only."}]},
]


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def nested_bundle(tmp_path: Path) -> Path:
    path = tmp_path / "nested.json"
    path.write_text(json.dumps({"communication": {"url": "https://api.example.com/me"},
                                "parameters": NESTED_PARAMETERS}))
    return path


def parse_table(text: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Split the table into rows keyed by field name (cells by column) and the other lines.

    Cells are cut at the header's column positions, because an empty cell leaves only spaces.
    """
    lines = text.rstrip("\n").splitlines()
    header = lines[0]
    assert header.split() == COLUMNS
    starts = [header.index(column) for column in COLUMNS]
    rows: dict[str, dict[str, str]] = {}
    others: list[str] = []
    for line in lines[1:]:
        if line.strip().startswith(("options:", "↳", "options from")):
            others.append(line)
            continue
        bounds = [*starts[1:], None]
        cells = {column: line[start:end].strip() for column, start, end in zip(COLUMNS, starts, bounds)}
        rows[cells["NAME"]] = cells
    return rows, others


def fields_by_name(output: str) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in json.loads(output)}


# --- a corpus connection ------------------------------------------------------------------------


def test_params_table_corpus(corpus: Path) -> None:
    done = invoke("params", str(corpus / KNOWBE4))
    assert done.returncode == 0, done.stderr
    rows, others = parse_table(done.stdout)
    assert list(rows) == ["apiKey", "region"]
    assert rows["apiKey"]["TYPE"] == "password (secret)"
    assert rows["apiKey"]["REQUIRED"] == "yes"
    assert rows["apiKey"]["LABEL"] == "API Key"
    assert rows["region"]["TYPE"] == "select"
    assert others == ["    options: training (US), eu (EU), ca (CA), uk (UK), de (DE)"]


def test_params_table_default(corpus: Path) -> None:
    done = invoke("params", str(corpus / OPNFORM))
    assert done.returncode == 0, done.stderr
    rows, _ = parse_table(done.stdout)
    assert rows["baseUrl"]["DEFAULT"] == "https://api.opnform.com"
    assert rows["baseUrl"]["TYPE"] == "url"
    assert rows["baseUrl"]["REQUIRED"] == "no"
    assert rows["apiKey"]["DEFAULT"] == ""


def test_params_table_shortens_help(corpus: Path) -> None:
    done = invoke("params", str(corpus / OPNFORM))
    rows, _ = parse_table(done.stdout)
    assert rows["apiKey"]["HELP"].startswith("Generate an API key from your")
    assert rows["apiKey"]["HELP"].endswith("…")


def test_params_json_corpus(corpus: Path) -> None:
    done = invoke("params", str(corpus / KNOWBE4), "--json")
    assert done.returncode == 0, done.stderr
    fields = fields_by_name(done.stdout)
    assert list(fields) == ["apiKey", "region"]
    assert fields["apiKey"]["type"] == "password"
    assert fields["apiKey"]["secret"] is True
    assert fields["apiKey"]["required"] is True
    assert fields["region"]["options"] == [
        {"value": "training", "label": "US"}, {"value": "eu", "label": "EU"}, {"value": "ca", "label": "CA"},
        {"value": "uk", "label": "UK"}, {"value": "de", "label": "DE"},
    ]
    assert fields["region"]["spec_path"] == "parameters[1]"


def test_params_json_help_whole(corpus: Path) -> None:
    done = invoke("params", str(corpus / OPNFORM), "--json")
    help_text = fields_by_name(done.stdout)["apiKey"]["help"]
    assert help_text.startswith("Generate an API key from your [OpnForm account settings]")
    assert help_text.endswith("abilities.")


def test_params_oauth_exit_2(corpus: Path) -> None:
    done = invoke("params", str(corpus / OAUTH))
    assert done.returncode == 2
    assert "OAuth connections are not supported yet" in done.stderr


def test_params_oauth_json(corpus: Path) -> None:
    done = invoke("params", str(corpus / OAUTH), "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "InvalidSpec"
    assert [problem["path"] for problem in error["problems"]] == ["communication"]


def test_params_process_table(corpus: Path) -> None:
    command = [str(Path(sys.executable).parent / "imlconnect"), "params", str(corpus / KNOWBE4)]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == COLUMNS


# --- nested fields ------------------------------------------------------------------------------


def test_params_table_nested(nested_bundle: Path) -> None:
    done = invoke("params", str(nested_bundle))
    assert done.returncode == 0, done.stderr
    rows, others = parse_table(done.stdout)
    assert list(rows) == ["apiKey", "environment", "sandboxUrl", "useProxy", "proxyHost"]
    assert rows["environment"]["DEFAULT"] == "production"
    assert rows["sandboxUrl"]["REQUIRED"] == "yes"
    assert rows["proxyHost"]["HELP"] == "Host name only."
    assert others == [
        "    options: production (Production), sandbox (Sandbox)",
        '  ↳ when environment = "sandbox"',
        "  ↳ when useProxy = true",
    ]


def test_params_table_indents_nested(nested_bundle: Path) -> None:
    lines = invoke("params", str(nested_bundle)).stdout.splitlines()
    field_lines = [line for line in lines[1:] if not line.strip().startswith(("options:", "↳"))]
    names = [line.split()[0] for line in field_lines if line.strip()]
    indented = [line for line in lines if line.startswith(("  sandboxUrl", "  proxyHost"))]
    assert names == ["apiKey", "environment", "sandboxUrl", "useProxy", "proxyHost"]
    assert len(indented) == 2


def test_params_json_nested(nested_bundle: Path) -> None:
    done = invoke("params", str(nested_bundle), "--json")
    assert done.returncode == 0, done.stderr
    fields = fields_by_name(done.stdout)
    assert fields["sandboxUrl"]["depth"] == 1
    assert fields["sandboxUrl"]["parent"] == "environment"
    assert fields["sandboxUrl"]["condition"] == 'environment = "sandbox"'
    assert fields["sandboxUrl"]["nesting"] == "environment > sandboxUrl"
    assert fields["proxyHost"]["parent"] == "useProxy"
    assert fields["proxyHost"]["condition"] == "useProxy = true"
    assert fields["environment"]["options"] == [{"value": "production", "label": "Production"},
                                                {"value": "sandbox", "label": "Sandbox"}]


def test_params_missing_path(tmp_path: Path) -> None:
    done = invoke("params", str(tmp_path / "nowhere.json"))
    assert done.returncode == 2
    assert "Path not found" in done.stderr
