"""Which DAG a run request goes to: a published pipeline's, or an endpoint version's."""

from __future__ import annotations

from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import ACTIVE, RecordStore
from mlpipelines.storage.deployment import Deployment


class DisabledError(UserErrorException):
    """The pipeline or endpoint is disabled: it refuses runs until enabled (HTTP 409)."""


def active_pipeline(record: dict[str, Any]) -> dict[str, Any]:
    """The record itself, if the published pipeline may run."""
    if record["status"] != ACTIVE:
        raise DisabledError(
            f"published pipeline {record['name']} v{record['version']} is disabled; "
            "enable() it first"
        )
    return record


def endpoint_pipeline(
    endpoint: dict[str, Any], version: str | None, workspace: Deployment | None = None
) -> dict[str, Any]:
    """The published pipeline an endpoint runs for ``version`` (default: its default)."""
    if endpoint["status"] != ACTIVE:
        raise DisabledError(f"pipeline endpoint {endpoint['name']} is disabled; enable() it first")
    wanted = endpoint["default_version"] if version is None else str(version)
    for entry in endpoint["versions"]:
        if entry["version"] == wanted:
            return active_pipeline(RecordStore.published(workspace).get(entry["pipeline_id"]))
    known = ", ".join(e["version"] for e in endpoint["versions"])
    raise UserErrorException(
        f"pipeline endpoint {endpoint['name']} has no version '{wanted}' (versions: {known})"
    )


def spec_params(dag_id: str, workspace: Deployment | None = None) -> list[dict[str, Any]]:
    """The parameters (name, default, type) of a stored pipeline spec."""
    return list(stored_spec(dag_id, workspace)["params"])


def stored_spec(dag_id: str, workspace: Deployment | None = None) -> dict[str, Any]:
    """A stored pipeline spec, with at least its ``params``."""
    from mlpipelines.translate.spec import read_spec

    try:
        spec = read_spec(dag_id, workspace)
        spec["params"]
    except (OSError, ValueError, KeyError) as exc:
        raise UserErrorException(f"the stored spec of '{dag_id}' cannot be read: {exc}") from exc
    return spec
