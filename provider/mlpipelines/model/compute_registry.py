"""Registered compute targets as small JSON records beside the published pipelines.

Airflow holds what runs need (a pool per cluster, a connection per Databricks workspace);
these records mirror them so a DAG file can look a target up while it is parsed, which must
not reach the network. A record is written after its Airflow objects exist.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.deployment import Deployment

COMPUTE_FOLDER = f"{INTERNAL_FOLDER}/compute"
_cache: dict[Path, tuple[int, dict[str, Any]]] = {}


def records_folder(workspace: Deployment | None = None) -> Path:
    """Where compute target records live (the workspace's specs datastore)."""
    return (workspace or Deployment.current()).specs_root() / COMPUTE_FOLDER


def read_record(name: str, workspace: Deployment | None = None) -> dict[str, Any] | None:
    """The record of target ``name``, or None; cached by mtime (DAG files parse often)."""
    path = records_folder(workspace) / f"{name}.json"
    try:
        mtime = path.stat().st_mtime_ns
    except (OSError, ValueError):
        return None
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    _cache[path] = (mtime, record)
    return record


def list_records(workspace: Deployment | None = None) -> list[dict[str, Any]]:
    """Every record, by name."""
    folder = records_folder(workspace)
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return [r for r in (read_record(n, workspace) for n in names) if r is not None]


def write_record(record: dict[str, Any], workspace: Deployment | None = None) -> None:
    from mlpipelines._json_files import write_json_atomic

    write_json_atomic(records_folder(workspace) / f"{record['name']}.json", record)


def delete_record(name: str, workspace: Deployment | None = None) -> None:
    path = records_folder(workspace) / f"{name}.json"
    if path.exists():
        os.unlink(path)
