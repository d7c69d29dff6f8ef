"""The .mcpb manifest: secrets are sensitive, the sandbox is the default, every env name is a real setting,
and the environment the host builds from it is one the server accepts (``mcpb validate`` and the real
run of the bundle are ``make mcpb-validate`` and ``make mcpb-check``)."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import pytest

from trade_tracker.config import SANDBOX_URL, Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((REPO / "packaging" / "mcpb" / "manifest.json").read_text())


def _build_mcpb():
    spec = importlib.util.spec_from_file_location("build_mcpb", REPO / "packaging" / "build_mcpb.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_mcpb", module)
    spec.loader.exec_module(module)
    return module


def test_manifest_basics_match_the_project() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert MANIFEST["manifest_version"] == "0.4"
    assert MANIFEST["version"] == project["version"]
    assert MANIFEST["server"]["type"] == "uv"
    assert (REPO / "packaging" / "mcpb" / MANIFEST["server"]["entry_point"]).is_file()


def test_secrets_are_sensitive_and_the_sandbox_is_the_default() -> None:
    config = MANIFEST["user_config"]
    env = MANIFEST["server"]["mcp_config"]["env"]
    by_setting = {name: value.removeprefix("${user_config.").removesuffix("}") for name, value in env.items()}
    for setting in ("FIELD_ENCRYPTION_KEY", "EX_API_KEY_READ", "EX_API_SECRET_READ", "EX_API_PASSPHRASE_READ"):
        assert config[by_setting[setting]]["sensitive"] is True, setting
        assert config[by_setting[setting]]["required"] is False, setting
    assert config[by_setting["EX_BASE_URL"]]["default"] == SANDBOX_URL
    assert not any(field.get("sensitive") for key, field in config.items() if key == by_setting["EX_BASE_URL"])
    assert set(env) <= {f.validation_alias for f in Settings.model_fields.values()}


def test_the_host_environment_with_every_optional_field_empty_is_valid_settings(monkeypatch, tmp_path) -> None:
    env = _build_mcpb().host_env(MANIFEST, {"TRADE_TRACKER_HOME": str(tmp_path)})
    assert env["EX_BASE_URL"] == SANDBOX_URL and env["FIELD_ENCRYPTION_KEY"] == ""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.is_sandbox and not settings.env_credential_present


def test_an_unknown_user_config_reference_is_an_error() -> None:
    broken = json.loads(json.dumps(MANIFEST))
    broken["server"]["mcp_config"]["env"]["EX_BASE_URL"] = "${user_config.nope}"
    with pytest.raises(KeyError):
        _build_mcpb().host_env(broken, {})
