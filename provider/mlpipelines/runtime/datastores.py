"""Datastores as seen from a task: a datastore spec to the folder it lives in on this worker."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.workspace import DatastoreSpec, local_datastore_root
from mlpipelines.storage import StoreLocation, open_datastore


def location_of(spec: dict[str, Any]) -> StoreLocation:
    """A datastore spec (``{"name", "kind", "path"}``) opened for I/O on this worker.

    A local folder is that folder (its path, else ``<AIRFLOW_HOME>/mlpipelines/<name>``);
    anything else is the Airflow connection named like the datastore. Unknown names raise a
    UserErrorException saying how to register them.
    """
    store = DatastoreSpec(spec["name"], spec.get("kind", "local"), spec.get("path"))
    if store.kind == "local":
        # No connection lookup: a local spec is final, and a lookup costs a round trip per task.
        return StoreLocation.local(local_datastore_root(store), datastore=store.name)
    return _opened(store.name)


@functools.lru_cache(maxsize=64)
def _opened(name: str) -> StoreLocation:
    """One lookup of a datastore's connection per process (its filesystem is reused too)."""
    return open_datastore(name)


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
    return {
        "datastore": spec["name"],
        "path": relative_path,
        "uri": location_of(spec).uri(relative_path),
        "store": dict(spec),
    }


def store_of(ref: dict[str, Any]) -> dict[str, Any]:
    """The datastore spec an XCom reference points into (old references name only a local
    datastore)."""
    return ref.get("store") or {"name": ref["datastore"], "kind": "local", "path": None}


def source_of(definition: dict[str, Any]) -> str | None:
    """A step's source folder on this worker: the submitted snapshot on its datastore when
    the step came through Experiment.submit (fetched once per worker from a remote one),
    else the folder the DAG file named."""
    ref = definition.get("source_ref")
    if ref:
        store = ref["store"]
        if store.get("kind", "local") == "local":
            return str(datastore_root(store) / ref["path"])
        from mlpipelines.storage.snapshots import fetch_snapshot

        return fetch_snapshot(location_of(store), ref["path"])
    return definition.get("source_directory")
