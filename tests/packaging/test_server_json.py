"""server.json (the MCP Registry entry) validates against the vendored registry schema and says what
config.py says: every setting as an environment variable, the SecretStr ones marked secret."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
from pydantic import SecretStr

from trade_tracker.config import Settings

REPO = Path(__file__).resolve().parents[2]
SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"


def _server() -> dict:
    return json.loads((REPO / "server.json").read_text())


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads((REPO / "packaging" / "registry" / "server.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_server_json_validates_against_the_vendored_schema() -> None:
    errors = sorted(_validator().iter_errors(_server()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(description="x" * 101),
        lambda d: d.update(name="no-slash"),
        lambda d: d["packages"][0].update(version="latest"),
        lambda d: d["packages"][0].pop("transport"),
    ],
)
def test_the_schema_catches_a_broken_entry(breakage) -> None:
    doc = _server()
    breakage(doc)
    assert list(_validator().iter_errors(doc))


def test_the_entry_is_the_pypi_package_run_with_uvx_over_stdio() -> None:
    doc = _server()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert doc["$schema"] == SCHEMA_URL
    assert doc["version"] == project["version"]
    (package,) = doc["packages"]
    assert package["registryType"] == "pypi" and package["runtimeHint"] == "uvx"
    assert package["identifier"] == project["name"] and package["version"] == project["version"]
    assert package["transport"] == {"type": "stdio"}
    # `uvx trade-tracker-mcp serve` runs the console script named like the package.
    assert project["scripts"][project["name"]] == project["scripts"]["trade-tracker"]
    assert [a["value"] for a in package["packageArguments"]] == ["serve"]


def test_every_setting_is_an_environment_variable_and_secrets_are_marked() -> None:
    (package,) = _server()["packages"]
    declared = {v["name"]: v for v in package["environmentVariables"]}
    fields = Settings.model_fields.values()
    assert set(declared) == {f.validation_alias for f in fields}
    secrets = {
        f.validation_alias for f in fields if SecretStr in (f.annotation, *getattr(f.annotation, "__args__", []))
    }
    assert secrets == {
        "FIELD_ENCRYPTION_KEY",
        "EX_API_KEY_READ",
        "EX_API_SECRET_READ",
        "EX_API_PASSPHRASE_READ",
        "AT_API_KEY_NAME",
        "AT_API_SECRET",
        "TRADE_TRACKER_HTTP_TOKEN",
    }
    assert {n for n, v in declared.items() if v["isSecret"]} == secrets
    assert not any("default" in declared[n] for n in secrets)


def test_the_readme_carries_the_registry_ownership_line() -> None:
    name = _server()["name"]
    assert re.search(rf"mcp-name: {re.escape(name)}(\s|-->)", (REPO / "README.md").read_text())
