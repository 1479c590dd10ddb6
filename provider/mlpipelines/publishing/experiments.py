"""Experiment records: each experiment name a run was started under, and the DAGs that ran
it (its own for ``Experiment.submit``, a published pipeline's for a REST run request)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import RecordStore
from mlpipelines.storage.deployment import Deployment


def experiment_record_id(name: str) -> str:
    """A file-safe id for any experiment name."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


def note_experiment(name: str, dag_id: str, workspace: Deployment | None = None) -> None:
    """Record that a run of ``dag_id`` was started under experiment ``name``."""
    store = RecordStore.experiments(workspace)
    record_id = experiment_record_id(name)
    try:
        record = store.get(record_id)
    except UserErrorException:
        record = {"id": record_id, "name": name, "dag_ids": [], "created": time.time()}
    if dag_id not in record["dag_ids"]:
        record["dag_ids"].append(dag_id)
        store.put(record)


def experiment_dag_ids(name: str, workspace: Deployment | None = None) -> list[str]:
    """The DAGs that ran under experiment ``name`` (none recorded: its own DAG)."""
    try:
        record: dict[str, Any] = RecordStore.experiments(workspace).get(experiment_record_id(name))
    except UserErrorException:
        return [name]
    return list(record["dag_ids"]) or [name]


def experiment_names(workspace: Deployment | None = None) -> list[str]:
    """Every recorded experiment name, oldest first."""
    return [r["name"] for r in RecordStore.experiments(workspace).all()]
