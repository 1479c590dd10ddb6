"""Workspace secrets kept as Airflow connections through its REST API (AML's Keyvault): set,
list and delete from a notebook; only a step's task reads a value back."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.errors import UserErrorException
from mlpipelines.records.secret_names import SECRET_CONNECTION_PREFIX, secret_connection_id

SECRET_CONN_TYPE = "generic"
DESCRIPTION = "Workspace secret (Keyvault.set_secret); read in steps with run.get_secret"
_PAGE = 100


def set_secrets(workspace: Any, secrets: dict[str, str], content_type: str | None) -> None:
    """Create or replace one connection per secret; a value never appears in an error."""
    api = AirflowApi.from_workspace(workspace)
    for name, value in secrets.items():
        if not isinstance(value, str):
            raise UserErrorException(f"secret '{name}': the value must be a string")
        conn_id = secret_connection_id(name)
        body = {
            "connection_id": conn_id,
            "conn_type": SECRET_CONN_TYPE,
            "description": DESCRIPTION,
            "password": value,
            "extra": json.dumps({"content_type": content_type} if content_type else {}),
        }
        path = f"/api/v2/connections/{quote(conn_id, safe='')}"
        try:
            try:
                api.call("POST", "/api/v2/connections", json=body)
            except AirflowApiError as exc:
                if exc.status_code != 409:
                    raise
                api.call("PATCH", path, json=body)
        except AirflowApiError as exc:
            detail = str(exc.detail).replace(value, "***") if value else str(exc.detail)
            raise UserErrorException(
                f"secret '{name}': Airflow refused it ({exc.status_code}): {detail[:300]}"
            ) from None


def list_secrets(workspace: Any) -> list[dict[str, str]]:
    """``[{"name": ...}]`` of every workspace secret, sorted by name."""
    api = AirflowApi.from_workspace(workspace)
    names: list[str] = []
    offset = 0
    while True:
        page = api.call(
            "GET",
            "/api/v2/connections",
            params={
                "connection_id_pattern": SECRET_CONNECTION_PREFIX,
                "limit": _PAGE,
                "offset": offset,
            },
        )
        found = page.get("connections") or []
        names += [
            c["connection_id"][len(SECRET_CONNECTION_PREFIX) :]
            for c in found
            if str(c.get("connection_id", "")).startswith(SECRET_CONNECTION_PREFIX)
        ]
        offset += len(found)
        if not found or offset >= int(page.get("total_entries") or 0):
            break
    return [{"name": name} for name in sorted(set(names))]


def secret_content_type(workspace: Any, name: str) -> str | None:
    """The content type a secret was set with, if any."""
    connection = _get(AirflowApi.from_workspace(workspace), name)
    try:
        extra = json.loads(connection.get("extra") or "{}")
    except ValueError:
        return None
    value = extra.get("content_type") if isinstance(extra, dict) else None
    return str(value) if value else None


def delete_secrets(workspace: Any, names: list[str]) -> None:
    """Remove each secret; one that does not exist is an error naming it."""
    api = AirflowApi.from_workspace(workspace)
    for name in names:
        try:
            api.call("DELETE", f"/api/v2/connections/{quote(secret_connection_id(name), safe='')}")
        except AirflowApiError as exc:
            raise _missing(name) if exc.status_code == 404 else exc from None


def _get(api: AirflowApi, name: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = api.call(
            "GET", f"/api/v2/connections/{quote(secret_connection_id(name), safe='')}"
        )
    except AirflowApiError as exc:
        raise _missing(name) if exc.status_code == 404 else exc from None
    return found


def _missing(name: str) -> UserErrorException:
    return UserErrorException(f"the workspace has no secret named '{name}'")
