"""Datastores as seen from a task: a datastore spec to the folder it lives in on this worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.workspace import DatastoreSpec, local_datastore_root
from mlpipelines.storage import StoreLocation, open_datastore


def location_of(spec: dict[str, Any]) -> StoreLocation:
    """A datastore spec (``{"name", "kind", "path"}``) opened for I/O on this worker.

    A local folder with a path is that folder; anything else is looked up by name: the Airflow
    connection named like the datastore, else (for the default names) the local folder under
    the Airflow home. Unknown names raise a UserErrorException saying how to register them.
    """
    store = DatastoreSpec(spec["name"], spec.get("kind", "local"), spec.get("path"))
    if store.kind == "local" and store.path:
        return StoreLocation.local(local_datastore_root(store), datastore=store.name)
    return open_datastore(store.name)


def datastore_root(spec: dict[str, Any]) -> Path:
    """The local folder of a datastore spec (``{"name", "kind", "path"}``) on this worker."""
    store = DatastoreSpec(spec["name"], spec.get("kind", "local"), spec.get("path"))
    if store.kind != "local":
        raise UserErrorException(
            f"datastore '{store.name}' is of kind '{store.kind}', not reachable from this worker"
        )
    return local_datastore_root(store)


def reference(spec: dict[str, Any], relative_path: str) -> dict[str, Any]:
    """The XCom reference of data at ``relative_path`` on a datastore: name, path and URI."""
    root = datastore_root(spec)
    return {
        "datastore": spec["name"],
        "path": relative_path,
        "uri": (root / relative_path).resolve().as_uri(),
        "store": dict(spec),
    }


def reference_root(ref: dict[str, Any]) -> Path:
    """The folder of the datastore an XCom reference points into, on this worker."""
    return datastore_root(
        ref.get("store") or {"name": ref["datastore"], "kind": "local", "path": None}
    )


def resolve_reference(ref: dict[str, Any]) -> Path:
    """The local path an XCom reference points to on this worker."""
    return reference_root(ref) / ref["path"]


def source_of(definition: dict[str, Any]) -> str | None:
    """A step's source folder on this worker: the submitted snapshot on its datastore when
    the step came through Experiment.submit, else the folder the DAG file named."""
    ref = definition.get("source_ref")
    if ref:
        return str(datastore_root(ref["store"]) / ref["path"])
    return definition.get("source_directory")
