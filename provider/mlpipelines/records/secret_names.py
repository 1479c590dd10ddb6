"""Workspace secrets (AML's Keyvault) by name: the names Azure Key Vault accepts, and the
Airflow connection each is kept in."""

from __future__ import annotations

import re
from typing import Any

from mlpipelines.errors import UserErrorException

SECRET_CONNECTION_PREFIX = "mlpipelines_secret_"
"""A secret ``db-password`` is the password of the Airflow connection
``mlpipelines_secret_db-password``: secrets live only in Airflow connections."""
_NAME = re.compile(r"[0-9A-Za-z-]{1,127}")
"""Azure Key Vault's rule for secret names, so a name that worked on Azure works here."""


def check_secret_name(name: Any) -> str:
    """``name`` when Azure Key Vault would accept it; else a UserErrorException naming it."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UserErrorException(
            f"secret name {str(name)[:140]!r} is not valid: 1-127 letters, digits and '-' "
            "(Azure Key Vault's rule)"
        )
    return name


def secret_connection_id(name: str) -> str:
    """The Airflow connection id that keeps the secret ``name``."""
    return SECRET_CONNECTION_PREFIX + check_secret_name(name)
