"""Datastore connections stored in Airflow through its REST API (the only place a datastore's
secret is kept)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.errors import UserErrorException


def store_connection(workspace: Any, body: dict[str, Any], overwrite: bool) -> None:
    """Create the connection; with ``overwrite`` replace an existing one, else refuse it."""
    api = AirflowApi.from_workspace(workspace)
    name = body["connection_id"]
    try:
        api.call("POST", "/api/v2/connections", json=body)
        return
    except AirflowApiError as exc:
        if exc.status_code != 409:
            raise UserErrorException(
                f"datastore '{name}': Airflow refused the connection ({exc.status_code}): "
                f"{_without_secret(str(exc.detail), body)}"
            ) from None
    if not overwrite:
        raise UserErrorException(
            f"datastore '{name}' is already registered (an Airflow connection of that id "
            "exists); pass overwrite=True to replace it"
        )
    api.call("PATCH", f"/api/v2/connections/{quote(name, safe='')}", json=body)


def delete_connection(workspace: Any, name: str) -> None:
    """Remove a datastore's connection (unregister)."""
    AirflowApi.from_workspace(workspace).call(
        "DELETE", f"/api/v2/connections/{quote(name, safe='')}"
    )


def _without_secret(text: str, body: dict[str, Any]) -> str:
    secret = body.get("password")
    return text.replace(secret, "***") if secret else text
