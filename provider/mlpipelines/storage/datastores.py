"""Datastores as seen from a task: a datastore spec to the place it lives on this worker."""

from __future__ import annotations

import functools
from pathlib import Path

from mlpipelines.errors import UserErrorException
from mlpipelines.records import DatastoreSpec, OutputReference, SourceRef, StepDefinition
from mlpipelines.storage.connections import open_datastore
from mlpipelines.storage.deployment import DEFAULT_DATASTORES, Deployment, local_datastore_root
from mlpipelines.storage.location import StoreLocation


def location_of(spec: DatastoreSpec) -> StoreLocation:
    """A datastore spec opened for I/O on this worker.

    A local folder is that folder (its path, else ``<AIRFLOW_HOME>/mlpipelines/<name>``);
    anything else is the Airflow connection named like the datastore. Unknown names raise a
    UserErrorException saying how to register them.
    """
    if spec.is_local:
        if spec.path is None and spec.name in DEFAULT_DATASTORES:
            # A default datastore planned where its kind was not known (a REST-only client):
            # this machine's deployment says what it is.
            own = Deployment.current().datastore_spec(spec.name)
            if not own.is_local:
                return _opened(spec.name)
        # No connection lookup: a local spec is final, and a lookup costs a round trip per task.
        return StoreLocation.local(local_datastore_root(spec), datastore=spec.name)
    return _opened(spec.name)


@functools.lru_cache(maxsize=64)
def _opened(name: str) -> StoreLocation:
    """One lookup of a datastore's connection per process (its filesystem is reused too)."""
    return open_datastore(name)


def datastore_root(spec: DatastoreSpec) -> Path:
    """The local folder of a local datastore on this worker."""
    if not spec.is_local:
        raise UserErrorException(
            f"datastore '{spec.name}' is of kind '{spec.kind}', not reachable from this worker"
        )
    return local_datastore_root(spec)


def reference(spec: DatastoreSpec, relative_path: str) -> OutputReference:
    """The XCom reference of data at ``relative_path`` on a datastore: name, path and URI."""
    return OutputReference(spec.name, relative_path, location_of(spec).uri(relative_path), spec)


def source_folder(ref: SourceRef) -> str:
    """A submitted snapshot's folder on this worker (fetched once per worker from a remote
    datastore)."""
    if ref.store.is_local:
        return str(datastore_root(ref.store) / ref.path)
    from mlpipelines.storage.snapshots import fetch_snapshot

    return fetch_snapshot(location_of(ref.store), ref.path)


def source_of(definition: StepDefinition) -> str | None:
    """A step's source folder on this worker: the submitted snapshot on its datastore when
    the step came through Experiment.submit, else the folder the DAG file named."""
    if definition.source_ref is not None:
        return source_folder(definition.source_ref)
    return definition.source_directory
