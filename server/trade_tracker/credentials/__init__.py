"""Stored API credentials: the service that adds, checks, lists and removes them (``service``), the
encrypted vault (``vault``) and the key's binding to one base URL (``binding``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "EXCHANGE": "service",
    "KEYRING_SERVICE": "vault",
    "STAMP_COLUMNS": "binding",
    "VIEW_ONLY_WARNING": "service",
    "AddResult": "service",
    "ClientFactory": "service",
    "CredentialInfo": "service",
    "CredentialService": "service",
    "EnvKeys": "vault",
    "KeyFile": "vault",
    "KeyHolder": "vault",
    "KeyringKeys": "vault",
    "RotationResult": "service",
    "Vault": "vault",
    "add_command_hint": "service",
    "check_api_key": "service",
    "check_binding": "binding",
    "generate_key": "vault",
    "is_bound_to": "binding",
    "key_holder": "vault",
    "parse_keys": "vault",
    "row_stamp": "binding",
}
__all__ = ["EXCHANGE", "KEYRING_SERVICE", "STAMP_COLUMNS", "VIEW_ONLY_WARNING", "AddResult", "ClientFactory",
           "CredentialInfo", "CredentialService", "EnvKeys", "KeyFile", "KeyHolder", "KeyringKeys", "RotationResult",
           "Vault", "add_command_hint", "check_api_key", "check_binding", "generate_key", "is_bound_to", "key_holder",
           "parse_keys", "row_stamp"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from .binding import STAMP_COLUMNS, check_binding, is_bound_to, row_stamp
    from .service import (
        EXCHANGE,
        VIEW_ONLY_WARNING,
        AddResult,
        ClientFactory,
        CredentialInfo,
        CredentialService,
        RotationResult,
        add_command_hint,
        check_api_key,
    )
    from .vault import (
        KEYRING_SERVICE,
        EnvKeys,
        KeyFile,
        KeyHolder,
        KeyringKeys,
        Vault,
        generate_key,
        key_holder,
        parse_keys,
    )
