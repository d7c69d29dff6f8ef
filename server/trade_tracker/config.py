"""Settings: one pydantic-settings object, read once at start and passed down.

The names of the environment variables are part of the public contract (see
README "Settings"). Secrets are ``SecretStr`` so that no ``repr``, log line or
validation error ever shows them.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError, InsecurePermissions
from .private_files import check_private_dir

__all__ = [
    "ADVANCED_URL",
    "MIN_HTTP_TOKEN_LENGTH",
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "Settings",
    "canonical_base_url",
    "checked_base_url",
    "http_token",
    "is_loopback_host",
    "load_settings",
]

#: The Coinbase Exchange sandbox: the default, so nothing touches a real account by accident.
SANDBOX_URL = "https://api-public.sandbox.exchange.coinbase.com"
PRODUCTION_URL = "https://api.exchange.coinbase.com"
#: Coinbase Advanced Trade: production is the default, since its sandbox is static and unauthenticated
#: (it cannot read an account); trade-tracker only reads, it never places an order.
ADVANCED_URL = "https://api.coinbase.com"
#: The shortest TRADE_TRACKER_HTTP_TOKEN accepted (``secrets.token_urlsafe(32)`` gives 43).
MIN_HTTP_TOKEN_LENGTH = 32


def is_loopback_host(host: str) -> bool:
    """``localhost``, or a literal loopback address (127.0.0.0/8, ::1): traffic that never leaves the machine."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def canonical_base_url(value: str) -> str:
    """One spelling per base URL, so the URL a credential was verified with compares equal to the same
    URL written differently: trailing ``/`` trimmed, scheme and host lower-cased, a default port dropped."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if not parts.scheme or not parts.hostname:
        return value
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return value
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("https", 443), ("http", 80)):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return f"{scheme}://{netloc}{parts.path}".rstrip("/")


def checked_base_url(setting: str, value: str, example: str, carried: str) -> str:
    """A base URL setting checked (absolute http(s), no query or fragment, a valid port, plain http only to
    this machine) and canonical; a ValueError naming ``setting`` otherwise."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{setting} must be an absolute http(s) URL such as {example} (got {value[:80]!r})")
    if parts.query or parts.fragment:
        raise ValueError(f"{setting} must not contain a query string or fragment")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError(f"{setting} has an invalid port (got {value[:80]!r})") from None
    if parts.scheme.lower() == "http" and not is_loopback_host(parts.hostname):
        # The credential travels in request headers: over plain http anyone on the path reads it.
        raise ValueError(
            f"{setting} {value[:80]!r} is plain http to a host other than this machine, which would send "
            f"{carried} unencrypted; use https:// (http:// is allowed only for localhost, 127.0.0.0/8 and ::1)"
        )
    return canonical_base_url(value)


def default_home() -> Path:
    """The platform's user data directory for trade-tracker."""
    return Path(platformdirs.user_data_dir("trade-tracker", appauthor=False))


class Settings(BaseSettings):
    """Everything trade-tracker reads from the environment (or a ``.env`` file it is given)."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        extra="ignore",
        hide_input_in_errors=True,
        frozen=True,
        populate_by_name=True,
    )

    ex_base_url: str = Field(
        default=SANDBOX_URL,
        validation_alias="EX_BASE_URL",
        description="Coinbase Exchange REST base URL. Defaults to the sandbox.",
    )
    at_base_url: str = Field(
        default=ADVANCED_URL,
        validation_alias="AT_BASE_URL",
        description="Coinbase Advanced Trade REST base URL (the API host; /api/v3/brokerage is added). Production.",
    )
    trade_tracker_home: Path = Field(
        default_factory=default_home,
        validation_alias="TRADE_TRACKER_HOME",
        description="Data directory: trades.db and, unless a key is given, vault.key.",
    )
    field_encryption_key: SecretStr | None = Field(
        default=None,
        validation_alias="FIELD_ENCRYPTION_KEY",
        description="Fernet key(s), comma separated, newest first.",
    )
    use_keyring: bool = Field(
        default=False,
        validation_alias="TRADE_TRACKER_USE_KEYRING",
        description="Read/write the vault key in the OS keyring (needs the keyring package).",
    )
    ex_api_key_read: SecretStr | None = Field(default=None, validation_alias="EX_API_KEY_READ")
    ex_api_secret_read: SecretStr | None = Field(default=None, validation_alias="EX_API_SECRET_READ")
    ex_api_passphrase_read: SecretStr | None = Field(default=None, validation_alias="EX_API_PASSPHRASE_READ")
    at_api_key_name: SecretStr | None = Field(default=None, validation_alias="AT_API_KEY_NAME")
    at_api_secret: SecretStr | None = Field(default=None, validation_alias="AT_API_SECRET")
    http_timeout: float = Field(
        default=15.0,
        gt=0,
        le=300,
        validation_alias="EX_HTTP_TIMEOUT",
        description="Seconds for any single read/write, and the most one attempt may take (connect to last byte).",
    )
    connect_timeout: float = Field(
        default=5.0,
        gt=0,
        le=120,
        validation_alias="EX_CONNECT_TIMEOUT",
        description="Seconds to wait for a connection to the exchange.",
    )
    retry_attempts: int = Field(
        default=6,
        ge=1,
        le=20,
        validation_alias="EX_RETRY_ATTEMPTS",
        description="Most attempts for one GET (429, 500, 502-504, connect errors; a refused connection at most 3).",
    )
    retry_timeout: float = Field(
        default=60.0,
        gt=0,
        le=600,
        validation_alias="EX_RETRY_TIMEOUT",
        description="Most seconds spent retrying one request (the call itself ends within this plus EX_HTTP_TIMEOUT).",
    )
    mcp_http_token: SecretStr | None = Field(
        default=None,
        validation_alias="TRADE_TRACKER_HTTP_TOKEN",
        description="Bearer token for the streamable HTTP transport (32+ characters, checked by http_token() when "
        "that transport starts); generated when unset.",
    )
    log_level: str = Field(default="WARNING", validation_alias="TRADE_TRACKER_LOG_LEVEL")

    @field_validator("ex_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return checked_base_url("EX_BASE_URL", value, SANDBOX_URL, "the API key and passphrase")

    @field_validator("at_base_url")
    @classmethod
    def _check_at_base_url(cls, value: str) -> str:
        return checked_base_url("AT_BASE_URL", value, ADVANCED_URL, "the signed JWTs")

    @field_validator("trade_tracker_home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("trade_tracker_home")
    @classmethod
    def _check_home(cls, value: Path) -> Path:
        """An existing data folder must be the user's and writable by no one else (else: the fix).

        Whoever can write it could plant links there (to a key of theirs, or over a file of yours).
        A missing folder is created 0700 by the store. A settings error: exit 2.
        """
        if value.exists():
            try:
                check_private_dir(value)
            except InsecurePermissions as exc:
                raise ValueError(f"TRADE_TRACKER_HOME: {exc}") from None
        return value

    @property
    def db_path(self) -> Path:
        """The trade store: ``$TRADE_TRACKER_HOME/trades.db``."""
        return self.trade_tracker_home / "trades.db"

    @property
    def key_file(self) -> Path:
        """The vault key file used when no env key is given."""
        return self.trade_tracker_home / "vault.key"

    @property
    def is_sandbox(self) -> bool:
        return self.ex_base_url == SANDBOX_URL

    @property
    def env_credential_present(self) -> bool:
        """True when all three EX_API_*_READ variables are set (the ``env`` credential)."""
        return all(
            s is not None and s.get_secret_value()
            for s in (self.ex_api_key_read, self.ex_api_secret_read, self.ex_api_passphrase_read)
        )

    @property
    def at_env_credential_present(self) -> bool:
        """True when AT_API_KEY_NAME and AT_API_SECRET are both set (the ``env-advanced`` credential)."""
        return all(s is not None and s.get_secret_value() for s in (self.at_api_key_name, self.at_api_secret))


def http_token(settings: Settings) -> SecretStr | None:
    """``TRADE_TRACKER_HTTP_TOKEN`` checked: None when unset, else a token no one could guess.

    Checked only where the HTTP transport starts (``serve.run_http``), not in ``load_settings``:
    stdio and every other verb never use the token, so a bad one must not stop them. A bearer
    token someone could guess is worse than none: short or blank ones are a ConfigError.
    """
    value = settings.mcp_http_token
    if value is None:
        return None
    token = value.get_secret_value()
    if len(token) < MIN_HTTP_TOKEN_LENGTH or any(c.isspace() or not c.isprintable() for c in token):
        raise ConfigError(
            "invalid settings: TRADE_TRACKER_HTTP_TOKEN: too short or has spaces: a bearer token needs at least "
            f"{MIN_HTTP_TOKEN_LENGTH} printable characters and no spaces; make one with "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`, '
            "or unset it to get a new token printed at each start"
        )
    return value


def load_settings(**overrides: Any) -> Settings:
    """Read the settings once, turning pydantic's validation error into a ConfigError.

    ``overrides`` take the field names (``ex_base_url=...``) and win over the environment.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{where}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
