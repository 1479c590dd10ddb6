"""A local Airflow's default datastores as Airflow connections, so its Connections page shows
each datastore and where it is (as the README says every datastore is a connection).

Only the listing changes: a default datastore stays the folder under the Airflow home that
DAG files and tasks compute from the environment, whatever the connection later says. A
connection of that name that exists already is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.datastore_kinds.local import LocalFolderKind
from mlpipelines.model.workspace import Workspace
from mlpipelines.storage.deployment import (
    DEFAULT_DATASTORES,
    connection_variable,
    local_datastore_root,
)


def connection_description(name: str) -> str:
    """What the Connections page says of a default datastore's connection."""
    return (
        f"mlpipelines' default datastore '{name}': a local folder under the Airflow home "
        "(outputs, artifacts, submitted pipelines). Shown for reference: to move it, set "
        f"{connection_variable(name)} in every Airflow process, not this form."
    )


def add_default_datastore_connections(config: Path) -> list[str]:
    """Create a connection for each local default datastore of the Airflow ``config`` names
    (through its REST API); the names created now."""
    workspace = Workspace.from_config(config)
    api = AirflowApi.from_workspace(workspace)
    created = []
    try:
        for name in DEFAULT_DATASTORES:
            spec = workspace.datastore_spec(name)
            if not spec.is_local:
                continue
            body = LocalFolderKind.body(name, path=str(local_datastore_root(spec, workspace.home)))
            body["description"] = connection_description(name)
            response = api.request("POST", "/api/v2/connections", json=body)
            if response.status_code == 409:
                continue
            if response.status_code >= 400:
                raise AirflowApiError(response)
            created.append(name)
    finally:
        api.close()
    return created
