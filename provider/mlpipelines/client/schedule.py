"""Schedules: a published pipeline (or an endpoint's default version) run on a timetable, or
whenever a file under a datastore path is new or changed.

On Airflow a schedule is a DAG of its own. A recurrence renders the published pipeline's
spec with the schedule's cron and parameter values, so the pipeline's REST runs keep their
defaults; a datastore schedule renders a watch DAG that triggers the pipeline's DAG once per
new or changed file. Disabling a schedule pauses its DAG.
"""

from __future__ import annotations

import builtins
import time
import uuid
from typing import Any
from urllib.parse import quote

from mlpipelines._naming import AIRFLOW_ID, path_safe
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.experiment import wait_until_parsed
from mlpipelines.client.recurrence import ScheduleRecurrence
from mlpipelines.client.schedule_specs import (
    recurrence_from_json,
    recurrence_spec,
    recurrence_to_json,
    watch_spec,
)
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.experiments import note_experiment
from mlpipelines.publishing.records import ACTIVE, DISABLED, RecordStore
from mlpipelines.translate.spec import spec_digest, store_spec

# What update() may change, by the old SDK's argument names.
_UPDATABLE = (
    "name",
    "description",
    "pipeline_parameters",
    "polling_interval",
    "data_path_parameter_name",
    "path_on_datastore",
)


class Schedule:
    """``Schedule.create(ws, name, pipeline_id, experiment_name, recurrence=...)``, or with
    ``datastore=``/``path_on_datastore=``/``polling_interval=`` to watch a datastore path."""

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
    cron = property(lambda self: self._record.get("cron"))
    datastore_name = property(lambda self: self._record.get("datastore_name"))
    path_on_datastore = property(lambda self: self._record.get("path_on_datastore"))
    polling_interval = property(lambda self: self._record.get("polling_interval"))
    data_path_parameter_name = property(lambda self: self._record.get("data_path_parameter_name"))

    @property
    def recurrence(self) -> ScheduleRecurrence | None:
        """The timetable (None for a schedule that watches a datastore path)."""
        return recurrence_from_json(self._record.get("recurrence"))

    # -- creating -----------------------------------------------------------------------------
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
        """Run the pipeline on ``recurrence``, or for each new or changed file under
        ``path_on_datastore`` on ``datastore`` (polled every ``polling_interval`` minutes;
        the file goes to the DataPath parameter ``data_path_parameter_name``)."""
        if (recurrence is None) == (datastore is None):
            raise UserErrorException(
                "Schedule.create needs either recurrence=ScheduleRecurrence(...) or "
                "datastore= (with path_on_datastore=) to watch, not both"
            )
        published_id = _published_id(workspace, pipeline_id, pipeline_endpoint_id)
        published = RecordStore.published(workspace).get(published_id)
        dag_id = f"{published['dag_id']}__sched_{path_safe(name)}"
        if not AIRFLOW_ID.match(dag_id):
            raise UserErrorException(f"schedule name '{name}' cannot name a DAG")
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "pipeline_id": published_id,
            "pipeline_endpoint_id": pipeline_endpoint_id,
            "experiment_name": experiment_name or published["name"],
            "description": description,
            "dag_id": dag_id,
            "pipeline_parameters": dict(pipeline_parameters or {}),
            "recurrence": None if recurrence is None else recurrence_to_json(recurrence),
            "cron": None if recurrence is None else recurrence.cron(),
            "datastore_name": None if datastore is None else datastore.name,
            "path_on_datastore": (path_on_datastore or "").strip("/"),
            "polling_interval": polling_interval,
            "data_path_parameter_name": data_path_parameter_name,
            "watch_id": str(uuid.uuid4()),
            "status": ACTIVE,
            "created": time.time(),
        }
        schedule = cls(workspace, record)
        schedule._deploy(datastore, baseline=True)
        return schedule

    @classmethod
    def create_for_pipeline_endpoint(
        cls,
        workspace: Any,
        name: str,
        pipeline_endpoint_id: str,
        experiment_name: str | None = None,
        recurrence: ScheduleRecurrence | None = None,
        **kwargs: Any,
    ) -> Schedule:
        """A schedule of the endpoint's default version (as it is now)."""
        return cls.create(
            workspace,
            name,
            experiment_name=experiment_name,
            recurrence=recurrence,
            pipeline_endpoint_id=pipeline_endpoint_id,
            **kwargs,
        )

    def _deploy(self, datastore: Any = None, baseline: bool = False) -> None:
        """Write the schedule's DAG spec, wait until Airflow has parsed it, save the record."""
        published = RecordStore.published(self.workspace).get(self._record["pipeline_id"])
        if self._record.get("recurrence") is not None:
            spec = recurrence_spec(self.workspace, self._record, published)
        else:
            datastore = datastore or self.workspace.datastores[self._record["datastore_name"]]
            spec = watch_spec(self.workspace, self._record, published, datastore)
            if baseline:
                _record_baseline(self.workspace, self._record, datastore)
            # Its runs are the pipeline DAG's, started under the schedule's experiment name.
            note_experiment(self._record["experiment_name"], published["dag_id"], self.workspace)
        api = AirflowApi.from_workspace(self.workspace)
        store_spec(spec, self.workspace)
        wait_until_parsed(api, spec["dag_id"], f"spec:{spec_digest(spec)}")
        RecordStore.schedules(self.workspace).put(self._record)

    # -- finding ------------------------------------------------------------------------------
    @classmethod
    def get(cls, workspace: Any, id: str, **_: Any) -> Schedule:
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

    @classmethod
    def get_all(
        cls,
        workspace: Any,
        active_only: bool = True,
        pipeline_id: str | None = None,
        pipeline_endpoint_id: str | None = None,
        **_: Any,
    ) -> builtins.list[Schedule]:
        """Schedules, as ``list`` (the old SDK's older name for it)."""
        return cls.list(workspace, active_only, pipeline_id, pipeline_endpoint_id)

    @classmethod
    def get_schedules_for_pipeline_id(
        cls, workspace: Any, pipeline_id: str, **_: Any
    ) -> builtins.list[Schedule]:
        """Every schedule (active or not) of a published pipeline."""
        return cls.list(workspace, active_only=False, pipeline_id=pipeline_id)

    @classmethod
    def get_schedules_for_pipeline_endpoint_id(
        cls, workspace: Any, pipeline_endpoint_id: str, **_: Any
    ) -> builtins.list[Schedule]:
        """Every schedule (active or not) made for a pipeline endpoint."""
        return cls.list(workspace, active_only=False, pipeline_endpoint_id=pipeline_endpoint_id)

    # -- changing -----------------------------------------------------------------------------
    def update(
        self,
        name: str | None = None,
        description: str | None = None,
        recurrence: ScheduleRecurrence | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        status: str | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: int | None = None,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
    ) -> None:
        """Change what is given (the DAG keeps its id); ``status`` "Active" or "Disabled"."""
        if status not in (None, ACTIVE, DISABLED):
            raise UserErrorException(f"status must be '{ACTIVE}' or '{DISABLED}', not {status!r}")
        if path_on_datastore is not None:
            path_on_datastore = path_on_datastore.strip("/")
        values = (name, description, pipeline_parameters, polling_interval)
        given = dict(
            zip(_UPDATABLE, (*values, data_path_parameter_name, path_on_datastore), strict=True)
        )
        self._record = RecordStore.schedules(self.workspace).get(self.id)
        self._record.update({k: v for k, v in given.items() if v is not None})
        if recurrence is not None:
            self._record.update(recurrence=recurrence_to_json(recurrence), cron=recurrence.cron())
            self._record.update(datastore_name=None)
        if datastore is not None:
            self._record.update(recurrence=None, cron=None, datastore_name=datastore.name)
        watched = datastore is not None or path_on_datastore is not None
        if watched:  # a new place to watch starts from what is there now
            self._record["watch_id"] = str(uuid.uuid4())
        self._deploy(datastore, baseline=watched)
        if status is not None:
            self._set_status(status, paused=status == DISABLED)

    def disable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Stop the timetable or the watch (its DAG is paused); the pipeline stays as it is."""
        self._set_status(DISABLED, paused=True)

    def enable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        self._set_status(ACTIVE, paused=False)

    def _set_status(self, status: str, paused: bool) -> None:
        api = AirflowApi.from_workspace(self.workspace)
        api.call("PATCH", f"/api/v2/dags/{quote(self.dag_id, safe='')}", json={"is_paused": paused})
        self._record["status"] = status
        RecordStore.schedules(self.workspace).put(self._record)

    def __repr__(self) -> str:
        what = f"cron={self.cron!r}" if self.cron else f"watch={self.path_on_datastore!r}"
        return f"Schedule(name={self.name!r}, {what}, status={self.status!r})"


def _record_baseline(workspace: Any, record: dict[str, Any], datastore: Any) -> None:
    """The files already under the watched path: only files new or changed after this start
    runs, as in Azure ML."""
    from mlpipelines.storage.path_watch import PathWatch, folder_state

    state = folder_state(datastore.location, record["path_on_datastore"])
    PathWatch(workspace.get_default_datastore().location, record["watch_id"]).record_baseline(state)


def _published_id(workspace: Any, pipeline_id: str | None, endpoint_id: str | None) -> str:
    if pipeline_id:
        return pipeline_id
    if endpoint_id:
        from mlpipelines.publishing.routing import endpoint_pipeline

        endpoint = RecordStore.endpoints(workspace).get(endpoint_id)
        return str(endpoint_pipeline(endpoint, None, workspace)["id"])
    raise UserErrorException("Schedule.create needs pipeline_id= or pipeline_endpoint_id=")
