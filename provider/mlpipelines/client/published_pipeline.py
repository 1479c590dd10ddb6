"""Published pipelines: a named, versioned DAG (``<name>__v<version>``) rendered from a stored
spec, listed, run, disabled (paused and hidden) and enabled again."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlpipelines._json_files import write_json_atomic
from mlpipelines._naming import AIRFLOW_ID, path_safe
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.experiment import (
    Experiment,
    upload_snapshots,
    wait_until_parsed,
)
from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.errors import UserErrorException
from mlpipelines.translate.plan import plan_pipeline
from mlpipelines.translate.spec import plan_to_spec, spec_digest, specs_folder

PUBLISHED_FOLDER = ".mlpipelines/published"


def _records(workspace: Any) -> Path:
    return workspace.datastore_root(workspace.default_datastore_name) / PUBLISHED_FOLDER


class PublishedPipeline:
    """A published pipeline: ``id``, ``name``, ``version``, ``endpoint``, ``status``."""

    def __init__(self, workspace: Any, record: dict[str, Any]) -> None:
        self.workspace = workspace
        self._record = record

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["name"])
    version = property(lambda self: self._record["version"])
    description = property(lambda self: self._record.get("description"))
    dag_id = property(lambda self: self._record["dag_id"])
    status = property(lambda self: self._record["status"])

    @property
    def endpoint(self) -> str:
        """The REST URL that starts a run of this pipeline (Airflow's dagRuns endpoint)."""
        return f"{self.workspace.airflow_url}/api/v2/dags/{quote(self.dag_id, safe='')}/dagRuns"

    # -- publishing -------------------------------------------------------------------------
    @classmethod
    def publish(
        cls,
        pipeline: Any,
        name: str,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
        workspace: Any = None,
    ) -> PublishedPipeline:
        """Store ``pipeline`` as ``<name>__v<version>`` and wait until Airflow has parsed it."""
        ws = workspace or pipeline.workspace
        version = str(version) if version is not None else "1"
        dag_id = _published_dag_id(name, version)
        plan = upload_snapshots(plan_pipeline(pipeline, dag_id), ws)
        spec = plan_to_spec(
            plan,
            dag_id,
            tags=["published"],
            is_paused_upon_creation=False,
            description=(description or pipeline.description or name)[:200],
        )
        return cls._store(ws, spec, name, version, description)

    @classmethod
    def publish_spec_of(
        cls,
        workspace: Any,
        dag_id: str,
        name: str,
        description: str | None = None,
        version: str | None = None,
    ) -> PublishedPipeline:
        """Publish the stored spec of a submitted pipeline's DAG under a new name/version."""
        source = specs_folder(workspace) / f"{dag_id}.json"
        if not source.is_file():
            raise UserErrorException(
                f"no stored spec for '{dag_id}': only pipelines submitted "
                "with Experiment.submit (or published) can be published "
                "from a run"
            )
        spec = json.loads(source.read_text(encoding="utf-8"))
        version = str(version) if version is not None else "1"
        spec["dag_id"] = _published_dag_id(name, version)
        spec["dag_settings"] = {
            "tags": ["published"],
            "is_paused_upon_creation": False,
            "description": (description or name)[:200],
        }
        return cls._store(workspace, spec, name, version, description)

    @classmethod
    def _store(
        cls, ws: Any, spec: dict[str, Any], name: str, version: str, description: str | None
    ) -> PublishedPipeline:
        api = AirflowApi.from_workspace(ws)
        write_json_atomic(specs_folder(ws) / f"{spec['dag_id']}.json", spec)
        wait_until_parsed(api, spec["dag_id"], f"spec:{spec_digest(spec)}")
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "version": version,
            "description": description,
            "dag_id": spec["dag_id"],
            "status": "Active",
            "created": time.time(),
        }
        write_json_atomic(_records(ws) / f"{record['id']}.json", record)
        return cls(ws, record)

    # -- finding ------------------------------------------------------------------------------
    @classmethod
    def list(cls, workspace: Any, active_only: bool = True) -> list[PublishedPipeline]:
        """Published pipelines, oldest first; disabled ones only with ``active_only=False``."""
        found = []
        for path in sorted(_records(workspace).glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record["status"] == "Active" or not active_only:
                found.append(cls(workspace, record))
        return sorted(found, key=lambda p: p._record["created"])

    @classmethod
    def get(
        cls,
        workspace: Any,
        id: str | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> PublishedPipeline:
        """By id; or by name (the newest version, or ``version``), as one old sample does."""
        for published in reversed(cls.list(workspace, active_only=False)):
            if id is not None and published.id == id:
                return published
            if (
                id is None
                and name is not None
                and published.name == name
                and (version is None or published.version == str(version))
            ):
                return published
        raise UserErrorException(f"no published pipeline with id={id!r} name={name!r}")

    # -- running and state --------------------------------------------------------------------
    def submit(
        self,
        workspace: Any = None,
        experiment_name: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        **_: Any,
    ) -> PipelineRun:
        """Start a run with the given parameters; a disabled pipeline refuses."""
        ws = workspace or self.workspace
        if self.status != "Active":
            raise UserErrorException(
                f"published pipeline {self.name} v{self.version} is disabled; enable() it first"
            )
        api = AirflowApi.from_workspace(ws)
        conf = dict(pipeline_parameters or {})
        if experiment_name:
            conf["mlpipelines_experiment"] = experiment_name
        run = api.trigger(self.dag_id, conf)
        return PipelineRun(Experiment(ws, self.dag_id), run["dag_run_id"], _api=api)

    def disable(self) -> None:
        """Pause the DAG and hide the pipeline from ``list``; runs are refused."""
        self._set_status("Disabled", paused=True)

    def enable(self) -> None:
        self._set_status("Active", paused=False)

    def _set_status(self, status: str, paused: bool) -> None:
        api = AirflowApi.from_workspace(self.workspace)
        api.call("PATCH", f"/api/v2/dags/{quote(self.dag_id, safe='')}", json={"is_paused": paused})
        self._record["status"] = status
        write_json_atomic(_records(self.workspace) / f"{self.id}.json", self._record)

    def __repr__(self) -> str:
        return (
            f"PublishedPipeline(name={self.name!r}, version={self.version!r}, "
            f"status={self.status!r})"
        )


def _published_dag_id(name: str, version: str) -> str:
    dag_id = f"{path_safe(name)}__v{path_safe(version)}"
    if not AIRFLOW_ID.match(dag_id):
        raise UserErrorException(f"'{name}' version '{version}' cannot name a DAG")
    return dag_id
