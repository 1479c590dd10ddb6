"""``Experiment(ws, name).submit(pipeline)``: store the pipeline's spec where Airflow's loader
DAG renders it, have Airflow parse it, and trigger a run through the REST API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.git_info import git_info, git_note
from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.client.snapshot_upload import upload_snapshot
from mlpipelines.publishing.experiments import experiment_dag_ids, note_experiment
from mlpipelines.publishing.run_request import check_parameters
from mlpipelines.records import SourceRef
from mlpipelines.records.plan import PipelinePlan, TaskSpec
from mlpipelines.records.reserved import REGENERATE_PARAM
from mlpipelines.snapshot import take_snapshot
from mlpipelines.translate.spec import (
    LOADER_DAG_ID,
    keep_spec_by_digest,
    plan_to_spec,
    store_spec,
)

PARSE_TIMEOUT_SECONDS = 180.0


class Experiment:
    """A named group of pipeline runs: one DAG (``dag_id`` = the experiment's name)."""

    def __init__(self, workspace: Any, name: str) -> None:
        self.workspace = workspace
        self.name = name

    def submit(
        self,
        config: Any,
        regenerate_outputs: bool = False,
        pipeline_parameters: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        **_: Any,
    ) -> PipelineRun:
        """Submit a pipeline: upload its source snapshots, store its spec, wait until Airflow
        has parsed it, and start a run with the given parameters. A published pipeline, a
        pipeline endpoint (``pipeline_version=``) or a draft is run through its own submit.

        Parameter names and types are checked first (as the REST endpoints check them):
        Airflow would store a misspelt name in the conf and run with the default.
        """
        submit_hook = getattr(config, "_submit_as_experiment", None)
        if submit_hook is not None:
            return submit_hook(self, pipeline_parameters=pipeline_parameters, tags=tags, **_)
        planned = config.plan(self.name)
        params = check_parameters(
            dict(pipeline_parameters or {}),
            [{"name": p.name, "default": p.default, "type": p.type} for p in planned.params],
        )
        # Git facts come from the folders as written, not from their uploaded copies.
        sources = [
            t.definition.source_directory for t in planned.tasks if t.definition.source_directory
        ]
        plan = upload_snapshots(planned, self.workspace)
        spec = plan_to_spec(plan, self.name)
        return self.submit_spec(spec, params, regenerate_outputs, tags, git_info(sources))

    def submit_spec(
        self,
        spec: dict[str, Any],
        params: dict[str, Any],
        regenerate_outputs: bool = False,
        tags: dict[str, str] | None = None,
        git: dict[str, Any] | None = None,
    ) -> PipelineRun:
        """Run a stored pipeline spec (snapshots uploaded, ``params`` checked) as this
        experiment: keep it, wait until Airflow has parsed it, trigger a run."""
        api = AirflowApi.from_workspace(self.workspace)
        spec = {**spec, "dag_id": self.name}
        digest = keep_spec_by_digest(spec, self.workspace)
        store_spec(spec, self.workspace)
        wait_until_parsed(api, self.name, f"spec:{digest}")
        api.call("PATCH", f"/api/v2/dags/{quote(self.name, safe='')}", json={"is_paused": False})
        regenerate = bool(regenerate_outputs or params.get(REGENERATE_PARAM))
        conf: dict[str, Any] = {**params, REGENERATE_PARAM: regenerate}
        conf["mlpipelines_spec_digest"] = digest
        if git:
            conf["mlpipelines_git"] = git
        if tags:
            conf["mlpipelines_tags"] = dict(tags)
        run = api.trigger(self.name, conf, note=git_note(git))
        note_experiment(self.name, self.name, self.workspace)
        return PipelineRun(self, run["dag_run_id"], _api=api, _dag_id=self.name)

    @staticmethod
    def list(workspace: Any, experiment_name: str | None = None, **_: Any) -> list[Experiment]:
        """The workspace's experiments (``ws.experiments``), or the one named."""
        found = list(workspace.experiments.values())
        return [e for e in found if experiment_name is None or e.name == experiment_name]

    def get_runs(self, **_: Any) -> Iterator[PipelineRun]:
        """The experiment's runs, newest first: its own DAG's, and runs of published
        pipelines started under its name (REST ``ExperimentName``)."""
        api = AirflowApi.from_workspace(self.workspace)
        found: list[tuple[str, PipelineRun]] = []
        for dag_id in experiment_dag_ids(self.name, self.workspace):
            response = api.request(
                "GET",
                f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns",
                params={"order_by": "-run_after", "limit": 100},
            )
            if response.status_code != 200:
                continue
            for run in response.json()["dag_runs"]:
                named = (run.get("conf") or {}).get("mlpipelines_experiment")
                if dag_id == self.name or named == self.name:
                    started = str(run.get("run_after") or run.get("start_date") or "")
                    found.append(
                        (started, PipelineRun(self, run["dag_run_id"], _api=api, _dag_id=dag_id))
                    )
        return iter(run for _, run in sorted(found, key=lambda pair: pair[0], reverse=True))

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"


def upload_snapshots(plan: PipelinePlan, workspace: Any) -> PipelinePlan:
    """Copy each source snapshot (ignored files left out) to the default datastore, keyed by
    its content hash, and point the step at that copy: the run uses the code as submitted.

    A client that reaches its deployment only over REST (``workspace.uses_rest_store``)
    sends the snapshots through the plugin (only the files the datastore lacks); any other
    writes them to the datastore itself. Either way the step names a ``SourceRef`` that
    workers fetch. A folder named by several steps goes up once.
    """
    if getattr(workspace, "uses_rest_store", False):
        api = AirflowApi.from_workspace(workspace)
        datastore = workspace.default_datastore_name
        try:
            return _with_sources(
                plan,
                lambda source: (
                    source,
                    upload_snapshot(api, take_snapshot(source), datastore).source_ref,
                ),
            )
        finally:
            api.close()
    from mlpipelines.storage.snapshots import ship_snapshot

    store = workspace.get_default_datastore()
    location = store.location

    def ship(source: str) -> tuple[str, SourceRef]:
        relative = ship_snapshot(take_snapshot(source), location)
        folder = location.path(relative) if location.is_local else source
        return folder, SourceRef(store.spec, relative)

    return _with_sources(plan, ship)


def _with_sources(plan: PipelinePlan, ship: Any) -> PipelinePlan:
    """The plan with each step's source folder shipped by ``ship`` (folder -> the step's
    ``source_directory`` and its ``SourceRef``), each folder once."""
    shipped: dict[str, tuple[str, SourceRef]] = {}
    tasks = []
    for task in plan.tasks:
        source = task.definition.source_directory
        if not source:
            tasks.append(task)
            continue
        if source not in shipped:
            shipped[source] = ship(source)
        folder, ref = shipped[source]
        definition = task.definition.with_changes(source_directory=folder, source_ref=ref)
        tasks.append(TaskSpec(task.task_id, task.kind, definition, task.upstream, task.doc_md))
    return PipelinePlan(plan.params, tuple(tasks), plan.description, plan.reuse)


def wait_until_parsed(api: AirflowApi, dag_id: str, tag: str) -> None:
    """Ask Airflow to re-parse the loader DAG file, then wait until ``dag_id`` carries ``tag``
    (the new spec's digest), asking again now and then."""
    deadline = time.monotonic() + PARSE_TIMEOUT_SECONDS
    asked = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() - asked > 10:
            _reparse_loader(api)
            asked = time.monotonic()
        response = api.request("GET", f"/api/v2/dags/{quote(dag_id, safe='')}")
        if response.status_code == 200 and tag in [t["name"] for t in response.json()["tags"]]:
            return
        time.sleep(0.5)
    errors = api.call("GET", "/api/v2/importErrors")["import_errors"]
    raise TimeoutError(
        f"Airflow did not parse pipeline '{dag_id}' in "
        f"{PARSE_TIMEOUT_SECONDS:.0f}s; import errors: {errors}"
    )


def _reparse_loader(api: AirflowApi) -> None:
    response = api.request("GET", f"/api/v2/dags/{LOADER_DAG_ID}/details")
    if response.status_code == 200:
        token = response.json().get("file_token")
        if token:
            api.request("PUT", f"/api/v2/parseDagFile/{token}")
