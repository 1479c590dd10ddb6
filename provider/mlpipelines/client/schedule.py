"""Schedules: a published pipeline (or an endpoint's default version) run on a timetable.

On Airflow a schedule is a DAG of its own, rendered from the published pipeline's spec with
the schedule's cron and parameter values, so the pipeline's REST runs keep their defaults;
disabling a schedule pauses that DAG.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from mlpipelines._json_files import write_json_atomic
from mlpipelines._naming import AIRFLOW_ID, path_safe
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.experiment import wait_until_parsed
from mlpipelines.client.recurrence import ScheduleRecurrence
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import ACTIVE, DISABLED, RecordStore
from mlpipelines.publishing.run_request import check_parameters
from mlpipelines.translate.spec import spec_digest, specs_folder


class Schedule:
    """``Schedule.create(ws, name, pipeline_id, experiment_name, recurrence=...)``."""

    def __init__(self, workspace: Any, record: dict[str, Any]) -> None:
        self.workspace = workspace
        self._record = record

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["name"])
    pipeline_id = property(lambda self: self._record["pipeline_id"])
    pipeline_endpoint_id = property(lambda self: self._record.get("pipeline_endpoint_id"))
    experiment_name = property(lambda self: self._record["experiment_name"])
    description = property(lambda self: self._record.get("description"))
    status = property(lambda self: self._record["status"])
    dag_id = property(lambda self: self._record["dag_id"])
    cron = property(lambda self: self._record["cron"])

    @classmethod
    def create(
        cls,
        workspace: Any,
        name: str,
        pipeline_id: str | None = None,
        experiment_name: str | None = None,
        recurrence: ScheduleRecurrence | None = None,
        description: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: int = 5,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        pipeline_endpoint_id: str | None = None,
        **_: Any,
    ) -> Schedule:
        """Run the pipeline on ``recurrence`` with ``pipeline_parameters`` (names checked)."""
        if datastore is not None:
            raise UserErrorException(
                "schedules that watch a datastore path are not available yet; use a "
                "recurrence (a timetable)"
            )
        if recurrence is None:
            raise UserErrorException("Schedule.create needs recurrence=ScheduleRecurrence(...)")
        published_id = _published_id(workspace, pipeline_id, pipeline_endpoint_id)
        published = RecordStore.published(workspace).get(published_id)
        source = specs_folder(workspace) / f"{published['dag_id']}.json"
        spec = copy.deepcopy(json.loads(source.read_text(encoding="utf-8")))
        values = check_parameters(dict(pipeline_parameters or {}), spec["params"])
        for param in spec["params"]:
            if param["name"] in values:
                param["default"] = values[param["name"]]
        dag_id = f"{published['dag_id']}__sched_{path_safe(name)}"
        if not AIRFLOW_ID.match(dag_id):
            raise UserErrorException(f"schedule name '{name}' cannot name a DAG")
        cron = recurrence.cron()
        start = recurrence.start_time or datetime.now(timezone.utc).replace(second=0, microsecond=0)
        spec["dag_id"] = dag_id
        spec["dag_settings"] = {
            "tags": ["schedule", f"pipeline:{published['name']}"],
            "schedule": cron,
            "start_date": start if isinstance(start, str) else start.isoformat(),
            "catchup": False,
            "is_paused_upon_creation": False,
            "description": (description or f"schedule {name} of {published['name']}")[:200],
        }
        api = AirflowApi.from_workspace(workspace)
        write_json_atomic(specs_folder(workspace) / f"{dag_id}.json", spec)
        wait_until_parsed(api, dag_id, f"spec:{spec_digest(spec)}")
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "pipeline_id": published_id,
            "pipeline_endpoint_id": pipeline_endpoint_id,
            "experiment_name": experiment_name or published["name"],
            "description": description,
            "dag_id": dag_id,
            "cron": cron,
            "status": ACTIVE,
            "created": time.time(),
        }
        RecordStore.schedules(workspace).put(record)
        return cls(workspace, record)

    @classmethod
    def get(cls, workspace: Any, id: str) -> Schedule:
        return cls(workspace, RecordStore.schedules(workspace).get(id))

    @classmethod
    def list(
        cls,
        workspace: Any,
        active_only: bool = True,
        pipeline_id: str | None = None,
        pipeline_endpoint_id: str | None = None,
    ) -> list[Schedule]:
        """Schedules, oldest first; disabled ones only with ``active_only=False``."""
        return [
            cls(workspace, r)
            for r in RecordStore.schedules(workspace).all()
            if (r["status"] == ACTIVE or not active_only)
            and (pipeline_id is None or r["pipeline_id"] == pipeline_id)
            and (
                pipeline_endpoint_id is None
                or r.get("pipeline_endpoint_id") == pipeline_endpoint_id
            )
        ]

    def disable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Stop the timetable (its DAG is paused); the pipeline itself stays as it is."""
        self._set_status(DISABLED, paused=True)

    def enable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        self._set_status(ACTIVE, paused=False)

    def _set_status(self, status: str, paused: bool) -> None:
        api = AirflowApi.from_workspace(self.workspace)
        api.call("PATCH", f"/api/v2/dags/{quote(self.dag_id, safe='')}", json={"is_paused": paused})
        self._record["status"] = status
        RecordStore.schedules(self.workspace).put(self._record)

    def __repr__(self) -> str:
        return f"Schedule(name={self.name!r}, cron={self.cron!r}, status={self.status!r})"


def _published_id(workspace: Any, pipeline_id: str | None, endpoint_id: str | None) -> str:
    if pipeline_id:
        return pipeline_id
    if endpoint_id:
        from mlpipelines.publishing.routing import endpoint_pipeline

        endpoint = RecordStore.endpoints(workspace).get(endpoint_id)
        return str(endpoint_pipeline(endpoint, None, workspace)["id"])
    raise UserErrorException("Schedule.create needs pipeline_id= or pipeline_endpoint_id=")
