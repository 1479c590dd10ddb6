"""``PipelineRun`` and ``StepRun``: a DAG run and its step tasks, seen the Azure ML way."""

from __future__ import annotations

import contextlib
import time
import warnings
from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.client.port_data import PortDataReference
from mlpipelines.client.run_files import RunFiles
from mlpipelines.client.run_states import TERMINAL
from mlpipelines.errors import ActivityFailedException, UserErrorException
from mlpipelines.publishing.experiments import experiment_dag_ids
from mlpipelines.records.metrics import pipeline_metrics, split_metrics
from mlpipelines.records.reserved import REUSE_TASK_ID

LOG_FILES = ("stdout.txt", "stderr.txt")
RUN_STATUS = {
    "queued": "NotStarted",
    "running": "Running",
    "success": "Finished",
    "failed": "Failed",
}
STEP_STATUS = {
    None: "NotStarted",
    "scheduled": "NotStarted",
    "queued": "Queued",
    "running": "Running",
    "up_for_retry": "Running",
    "up_for_reschedule": "Running",
    "deferred": "Running",
    "restarting": "Running",
    "success": "Finished",
    "skipped": "Finished",
    "failed": "Failed",
    "upstream_failed": "Failed",
    "removed": "Canceled",
}
# Airflow has no canceled state: cancel() fails the run and opens its note with this.
CANCELED_NOTE = "Canceled by "


def run_status(run: dict[str, Any]) -> str:
    """The Azure ML status of a DAG run (as the REST API gives it); a canceled run says so."""
    state = run.get("state") or ""
    if state == "failed" and (run.get("note") or "").startswith(CANCELED_NOTE):
        return "Canceled"
    return RUN_STATUS.get(state, "Running")


def _api_of(workspace: Any) -> AirflowApi:
    return AirflowApi.from_workspace(workspace)


def _dag_of_run(api: AirflowApi, experiment: Any, run_id: str) -> str:
    """The DAG that ran ``run_id`` under ``experiment``: its own, unless runs of published
    pipelines were started under its name (then the one that has the run)."""
    dag_ids = experiment_dag_ids(experiment.name, experiment.workspace)
    if dag_ids == [experiment.name]:
        return str(experiment.name)
    for dag_id in dag_ids:
        path = f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
        if api.request("GET", path).status_code == 200:
            return dag_id
    return str(experiment.name)


class StepRun:
    """One step of a pipeline run (its task instance); a reused step is Finished and says so."""

    def __init__(
        self, run: PipelineRun, task_instance: dict[str, Any], reused: dict[str, Any] | None = None
    ) -> None:
        self.parent = run
        self._ti = task_instance
        self._reused = reused

    @property
    def id(self) -> str:
        return f"{self.parent.id}/{self.name}"

    @property
    def name(self) -> str:
        return self._ti["task_id"]

    @property
    def reused(self) -> bool:
        """Whether this step handed on an earlier run's outputs instead of running."""
        return self._ti.get("state") == "skipped"

    def get_status(self) -> str:
        return STEP_STATUS.get(self._ti.get("state"), "Running")

    @property
    def duration(self) -> float | None:
        """Seconds the step's task ran, if it ran."""
        return self._ti.get("duration")

    def get_details(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "status": self.get_status(),
            "reused": self.reused,
            "startTimeUtc": self._ti.get("start_date"),
            "endTimeUtc": self._ti.get("end_date"),
        }

    def get_metrics(self, name: str | None = None, **_: Any) -> dict[str, Any]:
        """What the step's script logged with ``Run.log`` and the other ``log_*`` calls (from
        the run that made it, if reused); ``name`` selects one metric."""
        own = split_metrics(self.logged_metrics())[0]
        if name is None:
            return own
        return {name: own[name]} if name in own else {}

    def logged_metrics(self) -> dict[str, Any]:
        """Everything the script logged: its own metrics and what it logged on the pipeline."""
        if self._reused is not None:
            return dict(self._reused.get("metrics") or {})
        try:
            return (
                self.parent._api.xcom(self.parent.dag_id, self.parent.id, self.name, "metrics")
                or {}
            )
        except AirflowApiError:
            return {}

    def get_outputs(self) -> dict[str, PortDataReference]:
        """Each output the step produced or reused, by name: where it is, and ``download()``."""
        if self._reused is not None:
            found = dict(self._reused.get("outputs") or {})
        else:
            found = {}
            path = (
                f"/api/v2/dags/{quote(self.parent.dag_id, safe='')}/dagRuns/"
                f"{quote(self.parent.id, safe='')}/taskInstances/{quote(self.name, safe='')}"
                "/xcomEntries"
            )
            for entry in self.parent._api.call("GET", path).get("xcom_entries", []):
                if entry["key"].startswith("output_"):
                    found[entry["key"][len("output_") :]] = self.parent._api.xcom(
                        self.parent.dag_id, self.parent.id, self.name, entry["key"]
                    )
        ws = self.parent.experiment.workspace
        return {name: PortDataReference(ws, name, ref) for name, ref in found.items()}

    def get_output_data(self, name: str) -> PortDataReference:
        """The output ``name`` (a ``PipelineData``'s name): ``.download(local_path)`` etc."""
        outputs = self.get_outputs()
        if name not in outputs:
            raise UserErrorException(
                f"step {self.name} of run {self.parent.id} has no output '{name}'; it has: "
                f"{', '.join(sorted(outputs)) or 'none (it has not finished, or it failed)'}"
            )
        return outputs[name]

    get_output = get_output_data

    def get_file_names(self) -> list[str]:
        """The files the step kept (``stdout.txt``, ``stderr.txt``, ``metrics.json``)."""
        return self._files().names()

    def download_file(
        self, name: str, output_file_path: str | None = None, _validate_checksum: bool = False
    ) -> str:
        """Copy one of ``get_file_names()`` to ``output_file_path``; returns where it went."""
        return self._files().download(name, output_file_path)

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        **_: Any,
    ) -> Any:
        """Register a file or folder the step kept (``outputs/model.pkl``: what its script
        wrote to ``./outputs``) as the next version of ``model_name``; the ``Model``."""
        from mlpipelines.client.run_models import register_run_model

        return register_run_model(
            self.parent.experiment.workspace,
            self._files(),
            f"{self.parent.dag_id}/{self.parent.id}/{self.name}",
            model_name,
            model_path or model_name,
            tags,
            properties,
            description,
        )

    def get_job_log(self) -> str:
        """What the step's script printed (stdout, then stderr); the task log if it kept none."""
        files = self._files()
        parts = [text for name in LOG_FILES if (text := files.read_text(name))]
        return "".join(parts) if parts else self.get_logs()

    def get_details_with_logs(self) -> dict[str, Any]:
        """``get_details()`` plus ``logFiles``: each kept log file's text, and the task log."""
        files = self._files()
        logs = {name: text for name in LOG_FILES if (text := files.read_text(name)) is not None}
        if self._ti.get("state") not in (None, "skipped", "scheduled", "queued"):
            logs["airflow_task.log"] = self.get_logs()
        return {**self.get_details(), "logFiles": logs}

    def _files(self) -> RunFiles:
        return RunFiles(
            self.parent.experiment.workspace, self.parent.dag_id, self.parent.id, self.name
        )

    def get_logs(self) -> str:
        """The step task's log (its last try) as text."""
        tries = max(1, int(self._ti.get("try_number") or 1))
        return self.parent._api.task_log(self.parent.dag_id, self.parent.id, self.name, tries)

    def __repr__(self) -> str:
        return f"StepRun(name={self.name!r}, status={self.get_status()!r})"


class PipelineRun:
    """``PipelineRun(experiment, run_id)``: a run of a pipeline DAG, over Airflow's REST API."""

    def __init__(
        self,
        experiment: Any,
        run_id: str,
        _api: AirflowApi | None = None,
        _dag_id: str | None = None,
    ) -> None:
        self.experiment = experiment
        self.id = run_id
        self._api = _api or _api_of(experiment.workspace)
        self.dag_id = _dag_id or _dag_of_run(self._api, experiment, run_id)

    def _run(self) -> dict[str, Any]:
        return self._api.get_run(self.dag_id, self.id)

    def get_status(self) -> str:
        return run_status(self._run())

    def get_details(self) -> dict[str, Any]:
        run = self._run()
        return {
            "runId": self.id,
            "status": run_status(run),
            "startTimeUtc": run.get("start_date"),
            "endTimeUtc": run.get("end_date"),
            "properties": {"dag_id": self.dag_id, "conf": run.get("conf") or {}},
            "note": run.get("note"),
        }

    def get_portal_url(self) -> str:
        """The run's page in the Airflow UI."""
        return self._api.ui_url(self.dag_id, self.id)

    def get_steps(self) -> list[StepRun]:
        """Every step of the run (the reuse sensor is not a step)."""
        tis = self._api.task_instances(self.dag_id, self.id)
        reused = self._reused_by_step(tis)
        return [
            StepRun(self, ti, reused.get(ti["task_id"]))
            for ti in tis
            if ti["task_id"].split(".")[-1] not in (REUSE_TASK_ID, "done")
        ]

    def get_children(self, **_: Any) -> list[StepRun]:
        """The step runs (``get_steps()``), as the old SDK's ``Run.get_children()`` gives them."""
        return self.get_steps()

    def get_file_names(self) -> list[str]:
        """The files the run's steps kept, as ``<step>/<file>``; a run of one step (as
        ``Experiment.submit(ScriptRunConfig)`` makes) lists its step's as ``<file>``, as the
        old SDK's script runs do (``outputs/model.pkl``)."""
        steps = self.get_steps()
        if len(steps) == 1:
            return steps[0].get_file_names()
        return RunFiles(self.experiment.workspace, self.dag_id, self.id, None).names()

    def download_file(
        self, name: str, output_file_path: str | None = None, _validate_checksum: bool = False
    ) -> str:
        """Copy one of ``get_file_names()`` to ``output_file_path``; returns where it went. In a
        run of one step (``Experiment.submit(ScriptRunConfig)``), a name of that step's files
        (``outputs/model.pkl``) is taken too, as the old SDK's script runs name them."""
        only = self._only_step_with(name)
        if only is not None:
            return only.download_file(name, output_file_path)
        return RunFiles(self.experiment.workspace, self.dag_id, self.id, None).download(
            name, output_file_path
        )

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        **_: Any,
    ) -> Any:
        """Register a file or folder a step kept as the next version of ``model_name``:
        ``<step>/outputs/model.pkl``, or in a run of one step (a ScriptRunConfig's)
        ``outputs/model.pkl``; the ``Model``."""
        path = model_path or model_name
        only = self._only_step_with(path)
        if only is not None:
            return only.register_model(model_name, path, tags, properties, description)
        step_name, _sep, below = path.partition("/")
        found = self.find_step_run(step_name)
        if not found or not below:
            raise UserErrorException(
                f"register_model: '{path}' names no step's file; give it as "
                f"'<step>/outputs/...' (steps: {', '.join(s.name for s in self.get_steps())})"
            )
        return found[0].register_model(model_name, below, tags, properties, description)

    def _only_step_with(self, name: str) -> StepRun | None:
        """The run's one step, when it has just one and ``name`` is not a run-level name."""
        steps = self.get_steps()
        if len(steps) != 1 or name.startswith(f"{steps[0].name}/"):
            return None
        return steps[0]

    def _reused_by_step(self, tis: list[dict[str, Any]]) -> dict[str, Any]:
        """What the run's reuse sensor(s) handed on, by step task id."""
        found: dict[str, Any] = {}
        for ti in tis:
            if ti["task_id"].split(".")[-1] == REUSE_TASK_ID and ti.get("state") == "success":
                with contextlib.suppress(AirflowApiError, AttributeError):
                    reuse = self._api.xcom(self.dag_id, self.id, ti["task_id"], "reuse")
                    found.update(reuse.get("reused", {}))
        return found

    def find_step_run(self, name: str) -> list[StepRun]:
        """The steps named ``name`` (a task id, or a step name as the translator made it one)."""
        from mlpipelines._naming import task_id_for

        wanted = {name, task_id_for(name)}
        return [s for s in self.get_steps() if s.name in wanted or s.name.split(".")[-1] in wanted]

    def get_metrics(
        self, name: str | None = None, recursive: bool = False, **_: Any
    ) -> dict[str, Any]:
        """As the old SDK's: the metrics logged on the pipeline run (``run.parent.log`` in its
        steps' scripts; a name logged by several steps holds a list, in step order), or with
        ``recursive=True`` those by run id, this run's and each step run's (``step.id``). A run
        of one step also holds what its script logged (a ScriptRunConfig's run)."""
        logged = [(step, step.logged_metrics()) for step in self.get_steps()]
        mine = pipeline_metrics(metrics for _, metrics in logged)
        if len(logged) == 1 and not recursive:
            # A run of one step (a ScriptRunConfig's) is its step, as the old SDK's script
            # runs are: what its script logged is the run's.
            mine = {**split_metrics(logged[0][1])[0], **mine}
        if recursive:
            by_run = {self.id: mine} | {step.id: split_metrics(m)[0] for step, m in logged}
            if name is None:
                return by_run
            return {run: {name: found[name]} for run, found in by_run.items() if name in found}
        if name is None:
            return mine
        return {name: mine[name]} if name in mine else {}

    def publish_pipeline(
        self, name: str, description: str | None = None, version: str | None = None, **_: Any
    ) -> Any:
        """Publish the pipeline this run ran (one submitted with Experiment.submit): the spec
        kept under the digest in the run's conf, else (older runs) the DAG's current spec."""
        from mlpipelines.client.published_pipeline import PublishedPipeline

        digest = (self._run().get("conf") or {}).get("mlpipelines_spec_digest")
        if digest is None:
            warnings.warn(
                f"run {self.id} records no spec digest; publishing the current spec of "
                f"'{self.dag_id}', which may differ from what this run ran",
                stacklevel=2,
            )
        return PublishedPipeline.publish_spec_of(
            self.experiment.workspace, self.dag_id, name, description, version, digest
        )

    def cancel(self) -> None:
        """Stop the run: Airflow fails it and ends its running tasks; the run's note, opened
        with "Canceled by ...", tells it from a failure (get_status() says Canceled)."""
        path = f"/api/v2/dags/{quote(self.dag_id, safe='')}/dagRuns/{quote(self.id, safe='')}"
        note = self._run().get("note")
        who = self._api._username or "the mlpipelines client"
        marked = f"{CANCELED_NOTE}{who}" + (f"\n{note}" if note else "")
        # The note first: a reader must never see the failed state without the marker.
        self._api.call("PATCH", path, json={"note": marked}, params={"update_mask": "note"})
        self._api.call("PATCH", path, json={"state": "failed"}, params={"update_mask": "state"})

    def wait_for_completion(
        self,
        show_output: bool = True,
        timeout_seconds: float = 3600 * 24,
        raise_on_error: bool = True,
        poll_seconds: float = 1.0,
    ) -> str:
        """Wait until the run ends; with ``show_output`` show a live step table and stream
        step logs. A failed run raises ActivityFailedException naming the failed steps."""
        if show_output:
            from mlpipelines.client.run_watch import watch_run

            status = watch_run(self, timeout_seconds, poll_seconds)
        else:
            deadline = time.monotonic() + timeout_seconds
            while (status := self.get_status()) not in TERMINAL:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"run {self.id} of {self.dag_id} is still {status} "
                        f"after {timeout_seconds:.0f}s"
                    )
                time.sleep(poll_seconds)
        if status == "Failed" and raise_on_error:
            failed = [s.name for s in self.get_steps() if s.get_status() == "Failed"]
            raise ActivityFailedException(
                f"run {self.id} of {self.dag_id} failed; failed "
                f"steps: {', '.join(failed) or '(none)'}; see "
                f"{self.get_portal_url()}"
            )
        return status

    def __repr__(self) -> str:
        return f"PipelineRun(experiment={self.dag_id!r}, id={self.id!r})"
