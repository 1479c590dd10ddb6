"""Datastore connections stored in Airflow through its REST API (the only place a datastore's
secret is kept)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.datastore_kinds import KINDS
from mlpipelines.datastore_kinds.base import CONNECTION_FIELDS
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
        existing = api.call("GET", f"/api/v2/connections/{quote(name, safe='')}")
        if _same_settings(existing, body):
            return  # registering the same store again (a re-run notebook) changes nothing
        raise UserErrorException(
            f"datastore '{name}' is already registered with other settings (an Airflow "
            "connection of that id exists); pass overwrite=True to replace it"
        )
    api.call("PATCH", f"/api/v2/connections/{quote(name, safe='')}", json=body)


def delete_connection(workspace: Any, name: str) -> None:
    """Remove a datastore's connection (unregister)."""
    AirflowApi.from_workspace(workspace).call(
        "DELETE", f"/api/v2/connections/{quote(name, safe='')}"
    )


def connection_exists(workspace: Any, name: str) -> bool:
    """Whether Airflow has a connection ``name`` (a registered datastore)."""
    try:
        AirflowApi.from_workspace(workspace).call(
            "GET", f"/api/v2/connections/{quote(name, safe='')}"
        )
    except AirflowApiError as exc:
        if exc.status_code == 404:
            return False
        raise
    return True


def _same_settings(existing: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether an existing connection has the body's settings, secrets aside (Airflow's REST
    API hides them, so they cannot be compared)."""
    for field in ("conn_type", "host", "login", "schema", "port"):
        if (existing.get(field) or None) != (body.get(field) or None):
            return False
    try:
        old = json.loads(existing.get("extra") or "{}")
        new = json.loads(body.get("extra") or "{}")
    except ValueError:
        return False
    return all(old.get(k) in (v, "***") for k, v in new.items()) and set(old) <= set(new)


def _without_secret(text: str, body: dict[str, Any]) -> str:
    """``text`` with the body's secret fields and extras (password, SAS token, connection
    string: what any datastore kind declares secret) replaced by ***."""
    try:
        extra = json.loads(body.get("extra") or "{}")
    except ValueError:
        extra = {}
    keys = set().union(*(kind.secret_fields for kind in KINDS))
    secrets = [body.get(k) if k in CONNECTION_FIELDS else extra.get(k) for k in sorted(keys)]
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = text.replace(secret, "***")
    return text
