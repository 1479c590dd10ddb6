"""Compute targets' Airflow objects, made and removed through the REST API: a pool per
cluster (its slots are the cluster's ``max_nodes``), a connection per Databricks workspace."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.client.connections import store_connection
from mlpipelines.errors import ComputeTargetException

_POOL_ATTEMPTS = 3


def create_airflow_objects(
    workspace: Any,
    record: dict[str, Any],
    slots: int | None,
    connection: dict[str, Any] | None = None,
) -> None:
    """The pool (clusters) or connection (Databricks) a target needs; replaces old ones."""
    api = AirflowApi.from_workspace(workspace)
    name = record["name"]
    try:
        if record.get("pool"):
            body = {
                "name": record["pool"],
                "slots": slots,
                "description": json.dumps({"mlpipelines_compute": record["type"]}),
                "include_deferred": False,
            }
            # A busy API server database (SQLite locked) answers 500 "Database error" with the
            # insert rolled back: asking again is safe, as a pool is created or replaced.
            for attempt in range(1, _POOL_ATTEMPTS + 1):
                response = api.request("POST", "/api/v2/pools", json=body)
                if response.status_code != 500 or attempt == _POOL_ATTEMPTS:
                    break
                time.sleep(0.5 * attempt)
            if response.status_code == 409:
                api.call("PATCH", f"/api/v2/pools/{quote(record['pool'], safe='')}", json=body)
            elif response.status_code >= 400:
                raise AirflowApiError(response)
        if connection is not None:
            store_connection(workspace, connection, overwrite=True)
    except AirflowApiError as exc:
        raise ComputeTargetException(
            f"compute target '{name}': Airflow refused it ({exc.status_code}): {exc.detail}"
        ) from None


def remove_airflow_objects(workspace: Any, record: dict[str, Any]) -> None:
    """Delete the target's pool or connection (already gone is fine)."""
    api = AirflowApi.from_workspace(workspace)
    paths = []
    if record.get("pool"):
        paths.append(f"/api/v2/pools/{quote(record['pool'], safe='')}")
    if record.get("conn_id"):
        paths.append(f"/api/v2/connections/{quote(record['conn_id'], safe='')}")
    for path in paths:
        response = api.request("DELETE", path)
        if response.status_code >= 400 and response.status_code != 404:
            raise ComputeTargetException(
                f"compute target '{record['name']}': Airflow refused to delete {path} "
                f"({response.status_code}): {response.text}"
            )


def read_connection(workspace: Any, conn_id: str) -> dict[str, Any] | None:
    """An Airflow connection's fields (its secrets hidden by Airflow), None if it is absent."""
    api = AirflowApi.from_workspace(workspace)
    response = api.request("GET", f"/api/v2/connections/{quote(conn_id, safe='')}")
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        raise ComputeTargetException(
            f"could not read the Airflow connection '{conn_id}' "
            f"({response.status_code}): {response.text}"
        )
    result: dict[str, Any] = response.json()
    return result
