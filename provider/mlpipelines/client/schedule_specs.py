"""The DAG spec behind a schedule: the published pipeline's spec on a cron (a recurrence),
or a watch DAG that starts the pipeline for each new or changed file under a datastore path."""

from __future__ import annotations

import copy
import os
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from mlpipelines.client.recurrence import ScheduleRecurrence
from mlpipelines.client.time_zones import TimeZone, as_time_zone
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.run_request import check_parameters
from mlpipelines.records.numbers import is_whole
from mlpipelines.translate.spec import read_spec
from mlpipelines.translate.watch import WATCH_KIND

# Test-only: poll every N seconds instead of polling_interval minutes. Never set it in a
# deployment: a watch then lists the datastore that often.
TEST_POLL_SECONDS_ENV = "MLPIPELINES_TEST_WATCH_POLL_SECONDS"


def recurrence_to_json(recurrence: ScheduleRecurrence) -> dict[str, Any]:
    data = asdict(recurrence)
    if isinstance(data.get("start_time"), datetime):
        data["start_time"] = data["start_time"].isoformat()
    if isinstance(data.get("time_zone"), TimeZone):
        data["time_zone"] = data["time_zone"].value
    return data


def recurrence_from_json(data: dict[str, Any] | None) -> ScheduleRecurrence | None:
    if data is None:
        return None
    return ScheduleRecurrence(**{**data, "time_zone": as_time_zone(data.get("time_zone"))})


def local_start(recurrence: ScheduleRecurrence) -> str:
    """The schedule's start as wall-clock time in its zone (ISO, no offset): a naive
    ``start_time`` is read in ``time_zone``, an aware one converted to it, none is now."""
    zone = ZoneInfo(recurrence.zone())
    start = recurrence.start_time
    if start is None:
        start = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    elif isinstance(start, str):
        start = datetime.fromisoformat(start)
    if start.tzinfo is not None:
        start = start.astimezone(zone).replace(tzinfo=None)
    return start.isoformat()


def pipeline_spec(workspace: Any, published: dict[str, Any]) -> dict[str, Any]:
    return dict(copy.deepcopy(read_spec(published["dag_id"], workspace)))


def recurrence_spec(
    workspace: Any, record: dict[str, Any], published: dict[str, Any]
) -> dict[str, Any]:
    """The pipeline's spec under the schedule's DAG id, on its cron, with its parameter
    values as the defaults (the pipeline's own REST runs keep theirs)."""
    recurrence = recurrence_from_json(record["recurrence"])
    assert recurrence is not None
    spec = pipeline_spec(workspace, published)
    values = check_parameters(dict(record.get("pipeline_parameters") or {}), spec["params"])
    for param in spec["params"]:
        if param["name"] in values:
            param["default"] = values[param["name"]]
    spec["dag_id"] = record["dag_id"]
    spec["dag_settings"] = {
        "tags": ["schedule", f"pipeline:{published['name']}"],
        "schedule": recurrence.cron(),
        "start_date": local_start(recurrence),
        "timezone": recurrence.zone(),
        "catchup": False,
        "is_paused_upon_creation": False,
        "description": _description(record, published),
    }
    return spec


def watch_spec(
    workspace: Any, record: dict[str, Any], published: dict[str, Any], datastore: Any
) -> dict[str, Any]:
    """A watch DAG's spec: poll ``path_on_datastore`` every ``polling_interval`` minutes and
    start the published pipeline's DAG once per new or changed file."""
    params = pipeline_spec(workspace, published)["params"]
    conf = check_parameters(dict(record.get("pipeline_parameters") or {}), params)
    name = record.get("data_path_parameter_name")
    if name is not None and name not in {p["name"] for p in params if p["type"] == "object"}:
        data_paths = sorted(p["name"] for p in params if p["type"] == "object")
        raise UserErrorException(
            f"data_path_parameter_name '{name}' is not a DataPath parameter of "
            f"'{published['name']}'; it has: {', '.join(data_paths) or 'none'}"
        )
    conf["mlpipelines_experiment"] = record["experiment_name"]
    conf["mlpipelines_published_id"] = published["id"]
    conf["mlpipelines_schedule"] = record["id"]
    return {
        "kind": WATCH_KIND,
        "dag_id": record["dag_id"],
        "watch": {
            "id": record["watch_id"],
            "datastore": datastore.spec.to_dict(),
            "path_on_datastore": record["path_on_datastore"],
            "state_store": workspace.get_default_datastore().spec.to_dict(),
            "poll_seconds": poll_seconds(record["polling_interval"]),
            "pipeline_dag_id": published["dag_id"],
            "data_path_parameter_name": name,
            "conf": conf,
        },
        "dag_settings": {
            "tags": ["schedule", "datastore-watch", f"pipeline:{published['name']}"],
            "start_date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "is_paused_upon_creation": False,
            "description": _description(record, published),
        },
    }


def poll_seconds(polling_interval: Any) -> float:
    """Seconds between polls: ``polling_interval`` minutes (a whole number, at least 1)."""
    if not is_whole(polling_interval, 1):
        raise UserErrorException(
            f"polling_interval is in whole minutes, at least 1; not {polling_interval!r}"
        )
    override = os.environ.get(TEST_POLL_SECONDS_ENV)
    return float(override) if override else 60.0 * int(polling_interval)


def _description(record: dict[str, Any], published: dict[str, Any]) -> str:
    text = record.get("description") or f"schedule {record['name']} of {published['name']}"
    return str(text)[:200]
