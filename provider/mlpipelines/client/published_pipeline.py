"""Published pipelines: a named, versioned DAG (``<name>__v<version>``) rendered from a stored
spec, listed, run, disabled (paused and hidden) and enabled again."""

from __future__ import annotations

import builtins
import time
import uuid
from typing import Any
from urllib.parse import quote

from mlpipelines._naming import AIRFLOW_ID, path_safe
from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.client.experiment import (
    Experiment,
    upload_snapshots,
    wait_until_parsed,
)
from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import ACTIVE, DISABLED, RecordStore
from mlpipelines.publishing.run_request import run_request_assignments
from mlpipelines.translate.spec import (
    plan_to_spec,
    read_spec,
    spec_by_digest,
    spec_digest,
    store_spec,
)

REST_PREFIX = "/mlpipelines"


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
        """The REST URL a POST with an Azure ML run request body starts a run at."""
        return f"{self.workspace.airflow_url}{REST_PREFIX}/pipelines/{quote(self.id, safe='')}"

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
        """Store ``pipeline`` as ``<name>__v<version>`` and wait until Airflow has parsed it;
        see ``choose_version`` for the version."""
        ws = workspace or pipeline.workspace
        version = choose_version(ws, name, version)
        dag_id = _published_dag_id(ws, name, version)
        plan = upload_snapshots(pipeline.plan(dag_id), ws)
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
        digest: str | None = None,
    ) -> PublishedPipeline:
        """Publish a submitted pipeline's spec under a new name/version: the spec with
        ``digest`` (what one run ran), else the DAG's current spec."""
        if digest is not None:
            try:
                spec = spec_by_digest(digest, workspace)
            except FileNotFoundError:
                raise UserErrorException(
                    f"the spec {digest} that '{dag_id}' ran is no longer kept"
                ) from None
        else:
            try:
                spec = read_spec(dag_id, workspace)
            except FileNotFoundError:
                raise UserErrorException(
                    f"no stored spec for '{dag_id}': only pipelines submitted "
                    "with Experiment.submit (or published) can be published "
                    "from a run"
                ) from None
        version = choose_version(workspace, name, version)
        spec["dag_id"] = _published_dag_id(workspace, name, version)
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
        store_spec(spec, ws)
        wait_until_parsed(api, spec["dag_id"], f"spec:{spec_digest(spec)}")
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "version": version,
            "description": description,
            "dag_id": spec["dag_id"],
            "status": ACTIVE,
            "created": time.time(),
        }
        RecordStore.published(ws).put(record)
        return cls(ws, record)

    # -- finding ------------------------------------------------------------------------------
    @classmethod
    def list(cls, workspace: Any, active_only: bool = True) -> list[PublishedPipeline]:
        """Published pipelines, oldest first; disabled ones only with ``active_only=False``."""
        return [
            cls(workspace, record)
            for record in RecordStore.published(workspace).all()
            if record["status"] == ACTIVE or not active_only
        ]

    @classmethod
    def get_all(
        cls, workspace: Any, active_only: bool = True, **_: Any
    ) -> builtins.list[PublishedPipeline]:
        """Every published pipeline, as ``list`` (the old SDK's older name for it)."""
        return cls.list(workspace, active_only)

    @classmethod
    def get(
        cls,
        workspace: Any,
        id: str | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> PublishedPipeline:
        """By id; or by name (the newest version, or ``version``), as one old sample does."""
        store = RecordStore.published(workspace)
        if id is not None or version is None:
            return cls(workspace, store.find(id=id, name=name))
        for record in reversed(store.all()):
            if record["name"] == name and record["version"] == str(version):
                return cls(workspace, record)
        raise UserErrorException(f"no published pipeline named '{name}' with version {version}")

    # -- running and state --------------------------------------------------------------------
    def submit(
        self,
        workspace: Any = None,
        experiment_name: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        **_: Any,
    ) -> PipelineRun:
        """Start a run through this pipeline's REST endpoint; a disabled pipeline refuses."""
        ws = workspace or self.workspace
        return post_run_request(
            ws,
            self.endpoint,
            {
                "ExperimentName": experiment_name,
                **run_request_assignments(pipeline_parameters),
                "RunSource": "SDK",
            },
        )

    def _submit_as_experiment(
        self,
        experiment: Any,
        pipeline_parameters: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        **_: Any,
    ) -> PipelineRun:
        """``Experiment(ws, name).submit(published_pipeline)``: a run under that name."""
        return post_run_request(
            experiment.workspace,
            self.endpoint,
            {
                "ExperimentName": experiment.name,
                "ParameterAssignments": pipeline_parameters or {},
                "RunSource": "SDK",
                "Tags": tags,
            },
        )

    def disable(self) -> None:
        """Pause the DAG and hide the pipeline from ``list``; runs are refused."""
        self._set_status(DISABLED, paused=True)

    def enable(self) -> None:
        """Unpause the DAG; the pipeline is listed and runs again."""
        self._set_status(ACTIVE, paused=False)

    def _set_status(self, status: str, paused: bool) -> None:
        api = AirflowApi.from_workspace(self.workspace)
        api.call("PATCH", f"/api/v2/dags/{quote(self.dag_id, safe='')}", json={"is_paused": paused})
        self._record["status"] = status
        RecordStore.published(self.workspace).put(self._record)

    def __repr__(self) -> str:
        return (
            f"PublishedPipeline(name={self.name!r}, version={self.version!r}, "
            f"status={self.status!r})"
        )


def choose_version(workspace: Any, name: str, version: str | int | None) -> str:
    """The version to publish ``name`` as: as given, else one more than its highest numeric
    version. A version ``name`` already has is published again as a new pipeline (as Azure
    ML does, so re-running a notebook works); ``get(name=, version=)`` finds the newest."""
    if version is not None:
        return str(version)
    taken = [
        p.version for p in PublishedPipeline.list(workspace, active_only=False) if p.name == name
    ]
    return str(max((int(v) for v in taken if v.isdigit()), default=0) + 1)


def _published_dag_id(workspace: Any, name: str, version: str) -> str:
    """``<name>__v<version>``; a version published again gets ``__2``, ``__3``, ... so each
    published pipeline keeps its own DAG."""
    base = f"{path_safe(name)}__v{path_safe(version)}"
    if not AIRFLOW_ID.match(base):
        raise UserErrorException(f"'{name}' version '{version}' cannot name a DAG")
    taken = {r["dag_id"] for r in RecordStore.published(workspace).all()}
    dag_id, n = base, 1
    while dag_id in taken:
        n += 1
        dag_id = f"{base}__{n}"
    return dag_id


def post_run_request(ws: Any, url: str, body: dict[str, Any]) -> PipelineRun:
    """POST an Azure ML run request to a pipeline or endpoint URL; the run it started.

    Going through the REST endpoint keeps one path for checks (parameters, disabled) whether a
    run comes from the SDK or from any other HTTP client.
    """
    api = AirflowApi.from_workspace(ws)
    path = url[len(api.base_url) :] if url.startswith(api.base_url) else url
    body = {k: v for k, v in body.items() if v is not None}
    try:
        answer = api.call("POST", path, json=body)
    except AirflowApiError as exc:
        raise UserErrorException(f"run refused ({exc.status_code}): {exc.detail}") from exc
    experiment = Experiment(ws, body.get("ExperimentName") or answer["DagId"])
    return PipelineRun(experiment, answer["Id"], _api=api, _dag_id=answer["DagId"])
