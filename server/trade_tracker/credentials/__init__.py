"""Stored API credentials: the service that adds, checks, lists and removes them (``service``), the
encrypted vault (``vault``), the key's binding to one base URL (``binding``) and the guard that keeps one
label to one account (``label_history``).

The package re-exports its modules' public names lazily (PEP 562): importing one of them loads only the
module that defines it, so importing one light module never pulls in the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

#: name -> the module (in this package) that defines it.
_EXPORTS = {
    "EXCHANGE": "models",
    "GENERATE_HINT": "key_sources",
    "KEYRING_SERVICE": "key_sources",
    "VERIFIED_BASIS": "models",
    "VIEW_ONLY_WARNING": "models",
    "AddResult": "models",
    "ClientFactory": "service",
    "CredentialInfo": "models",
    "CredentialService": "service",
    "EnvKeys": "key_sources",
    "KeyFile": "key_sources",
    "KeyHolder": "key_sources",
    "KeyringKeys": "key_sources",
    "RotationResult": "models",
    "Vault": "vault",
    "VerifyStatus": "models",
    "add_command_hint": "models",
    "check_binding": "binding",
    "check_with_exchange": "verification",
    "credential_info": "models",
    "ENV_ADVANCED_LABEL": "env",
    "env_advanced_credential": "env",
    "env_advanced_info": "env",
    "env_advanced_stamp": "env",
    "env_credential": "env",
    "env_info": "env",
    "env_stamp": "env",
    "generate_key": "key_sources",
    "is_bound_to": "binding",
    "key_holder": "vault",
    "parse_keys": "key_sources",
    "partial_env_hint": "env",
    "permissions_of": "models",
    "rotate_key": "rotation",
    "verify": "verification",
    "check_same_account": "label_history",
    "KeyCheck": "verification",
    "add_key": "entry",
    "checked_values": "entry",
    "PERMISSION_NAMES": "policy",
    "TRADE_WARNING": "policy",
    "check_policy": "policy",
    "portfolio_of": "policy",
    "profiles_of": "policy",
    "recorded_permissions": "policy",
    "first_check": "verification",
}
__all__ = [
    "EXCHANGE",
    "GENERATE_HINT",
    "KEYRING_SERVICE",
    "PERMISSION_NAMES",
    "TRADE_WARNING",
    "VERIFIED_BASIS",
    "VIEW_ONLY_WARNING",
    "AddResult",
    "ClientFactory",
    "CredentialInfo",
    "CredentialService",
    "EnvKeys",
    "KeyCheck",
    "KeyFile",
    "KeyHolder",
    "KeyringKeys",
    "RotationResult",
    "Vault",
    "VerifyStatus",
    "add_command_hint",
    "add_key",
    "check_binding",
    "check_policy",
    "check_same_account",
    "check_with_exchange",
    "checked_values",
    "credential_info",
    "ENV_ADVANCED_LABEL",
    "env_advanced_credential",
    "env_advanced_info",
    "env_advanced_stamp",
    "env_credential",
    "env_info",
    "env_stamp",
    "first_check",
    "generate_key",
    "is_bound_to",
    "key_holder",
    "parse_keys",
    "partial_env_hint",
    "permissions_of",
    "portfolio_of",
    "profiles_of",
    "recorded_permissions",
    "rotate_key",
    "verify",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .binding import check_binding, is_bound_to
    from .entry import add_key, checked_values
    from .env import (
        ENV_ADVANCED_LABEL,
        env_advanced_credential,
        env_advanced_info,
        env_advanced_stamp,
        env_credential,
        env_info,
        env_stamp,
        partial_env_hint,
    )
    from .key_sources import (
        GENERATE_HINT,
        KEYRING_SERVICE,
        EnvKeys,
        KeyFile,
        KeyHolder,
        KeyringKeys,
        generate_key,
        parse_keys,
    )
    from .label_history import check_same_account
    from .models import (
        EXCHANGE,
        VERIFIED_BASIS,
        VIEW_ONLY_WARNING,
        AddResult,
        CredentialInfo,
        RotationResult,
        VerifyStatus,
        add_command_hint,
        credential_info,
        permissions_of,
    )
    from .policy import (
        PERMISSION_NAMES,
        TRADE_WARNING,
        check_policy,
        portfolio_of,
        profiles_of,
        recorded_permissions,
    )
    from .rotation import rotate_key
    from .service import ClientFactory, CredentialService
    from .vault import Vault, key_holder
    from .verification import KeyCheck, check_with_exchange, first_check, verify
