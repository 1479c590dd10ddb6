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
        return fetched_snapshot(store, ref["path"])
    return definition.get("source_directory")


def fetched_snapshot(store: dict[str, Any], relative: str) -> str:
    """A local copy of the snapshot at ``relative`` on a remote datastore, kept by this
    worker under its temp folder (snapshots are named by content, so a copy never goes stale).

    Fetched only once its listing (``<relative>.json``, written after the upload) exists, into
    a hidden folder renamed into place, so no half-fetched copy is ever used."""
    import os
    import shutil
    import tempfile
    import uuid

    from mlpipelines._naming import path_safe
    from mlpipelines.storage.transfer import download

    location = location_of(store)
    cache = (
        Path(tempfile.gettempdir())
        / "mlpipelines-snapshots"
        / path_safe(location.datastore)
        / path_safe(relative)
    )
    if cache.is_dir():
        return str(cache)
    if not location.fs.exists(location.path(f"{relative}.json")):
        raise UserErrorException(
            f"the source snapshot {location.uri(relative)} is incomplete or missing (its "
            "listing is not there); submit the pipeline again"
        )
    staging = cache.with_name(f".{cache.name}.{uuid.uuid4().hex[:8]}")
    try:
        download(location, relative, staging)
        (staging / relative).mkdir(parents=True, exist_ok=True)  # an empty snapshot
        os.rename(staging / relative, cache)
    except OSError:
        if not cache.is_dir():  # not another task fetching the same snapshot first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(cache)
