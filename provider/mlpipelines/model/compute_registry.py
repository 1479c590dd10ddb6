"""Registered compute targets as small JSON records in the control store.

Airflow holds what runs need (a pool per cluster, a connection per Databricks workspace);
these records mirror them so a DAG file can look a target up while it is parsed without
asking Airflow. A record is written after its Airflow objects exist.
"""

from __future__ import annotations

import time
from typing import Any

from mlpipelines.storage.control_store import control_store
from mlpipelines.storage.deployment import Deployment

COMPUTE_COLLECTION = "compute"
# A DAG file looks the same target up once per step: one read per name and second is enough.
_CACHE_SECONDS = 2.0
_cache: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}


def read_record(name: str, workspace: Deployment | None = None) -> dict[str, Any] | None:
    """The record of target ``name``, or None."""
    store = control_store(workspace)
    key = (repr(store), str(name))
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    try:
        record: dict[str, Any] | None = store.read(f"{COMPUTE_COLLECTION}/{name}.json")
    except Exception as exc:
        if not _absent(exc):
            raise
        record = None
    _cache[key] = (time.monotonic(), record)
    return record


def list_records(workspace: Deployment | None = None) -> list[dict[str, Any]]:
    """Every record, by name."""
    found = control_store(workspace).read_all(COMPUTE_COLLECTION)
    return sorted(found, key=lambda r: str(r.get("name")))


def write_record(record: dict[str, Any], workspace: Deployment | None = None) -> None:
    control_store(workspace).write(f"{COMPUTE_COLLECTION}/{record['name']}.json", record)
    _cache.clear()


def delete_record(name: str, workspace: Deployment | None = None) -> None:
    control_store(workspace).delete(f"{COMPUTE_COLLECTION}/{name}.json")
    _cache.clear()


def _absent(exc: Exception) -> bool:
    """A record that is not there, or a name that cannot name one."""
    from mlpipelines.errors import UserErrorException

    return isinstance(exc, (FileNotFoundError, ValueError, UserErrorException))
