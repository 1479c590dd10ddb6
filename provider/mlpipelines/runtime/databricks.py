"""Run one DatabricksStep in a task: submit a one-time run through the Jobs API, wait for
its end (polling here, or deferred to a trigger), and hand on its outputs.

Data reaches Databricks as URIs: an input's place on its datastore, and for an output the
folder ``prepare_outputs`` made for it, which Databricks writes and which is published as it
stands when the run succeeds (empty if the job wrote nothing). A script from
``source_directory`` runs from the step's snapshot uploaded to DBFS.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow.providers.databricks.hooks.databricks import DatabricksHook, RunState

from mlpipelines.errors import StepRunError
from mlpipelines.records import ArgumentToken, DatabricksSettings, StepDefinition
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.artifacts import save_summary
from mlpipelines.runtime.dbfs_snapshot import upload_snapshot
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.staging import PendingOutput, prepare_outputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import (
    KeyClaim,
    StepDeferred,
    StepResult,
    publish_outputs,
    resume_with_reuse,
    run_with_reuse,
)
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.data_locations import LocatedInput

OnSubmit = Callable[[int, str], None]
RunEnd = tuple[dict[str, Any], RunState]
_TASK_KEY_UNSAFE = re.compile(r"[^\w-]")


@dataclass
class SubmittedRun:
    """A run this step submitted, and the outputs waiting for it: JSON-able, so a deferred
    task can finish it in another process."""

    run_id: int
    run_page_url: str
    submitted_at: float
    pending: list[PendingOutput] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def deadline(self, timeout_seconds: int | None) -> float | None:
        """When the step's ``timeout_seconds`` runs out (epoch seconds), if it has one."""
        return None if timeout_seconds is None else self.submitted_at + timeout_seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_page_url": self.run_page_url,
            "submitted_at": self.submitted_at,
            "pending": [p.to_json() for p in self.pending],
            "summary": list(self.summary),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmittedRun:
        return cls(
            int(data["run_id"]),
            data["run_page_url"],
            float(data["submitted_at"]),
            [PendingOutput.from_json(p) for p in data["pending"]],
            list(data["summary"]),
        )


def run_databricks_step(
    definition: StepDefinition,
    ctx: StepContext,
    hook: DatabricksHook,
    polling_period_seconds: float = 30,
    on_submit: OnSubmit | None = None,
    defer: bool = False,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else submit it once and wait.

    ``on_submit(run_id, run_page_url)`` is called as soon as the run exists (the operator
    keeps the id to cancel it on kill). Raises StepRunError when the run fails, is cancelled,
    outlasts ``timeout_seconds`` (it is cancelled then) or the Jobs API refuses a call. With
    ``defer``, raises StepDeferred right after the submit instead of waiting: its ``work`` is
    a ``SubmittedRun`` as JSON, and ``resume_databricks_step`` finishes it.
    """

    def execute(check: ReuseCheck, located: dict[str, LocatedInput]) -> StepResult:
        submitted = _submit(definition, ctx, check, located, hook, on_submit)
        if defer:
            raise StepDeferred(submitted.to_json())
        return _finish(
            definition,
            ctx,
            hook,
            submitted,
            lambda: _wait(definition, ctx, hook, submitted.run_id, polling_period_seconds),
        )

    return run_with_reuse(definition, ctx, execute)


def resume_databricks_step(
    definition: StepDefinition,
    ctx: StepContext,
    hook: DatabricksHook,
    work: dict[str, Any],
    claim: dict[str, Any],
    event: Mapping[str, Any],
) -> StepResult:
    """Finish a deferred step once the trigger saw its run end (``event``), exactly as the
    polling path does: publish and record on success, else raise with the run's error;
    either way the key's marker is released and no half-made output stays."""
    submitted = SubmittedRun.from_json(work)
    return resume_with_reuse(
        KeyClaim.from_json(claim),
        ctx,
        lambda: _finish(
            definition, ctx, hook, submitted, lambda: _run_end(definition, hook, event)
        ),
    )


def _run_end(definition: StepDefinition, hook: DatabricksHook, event: Mapping[str, Any]) -> RunEnd:
    """The run and its final state, from the trigger's event (raising where it has none)."""
    spec = _settings(definition)
    run_id = event["run_id"]
    if event["failure"]:
        raise StepRunError(
            f"step '{definition.name}': Databricks run {run_id} could not be followed "
            f"(it was cancelled): {event['failure']}"
        )
    if event["timed_out"]:
        raise StepRunError(_timed_out(definition, run_id))
    state = RunState(event["life_cycle_state"], event["result_state"], event["state_message"])
    if state.is_successful:
        return {}, state
    return _call(spec, "runs/get", lambda: hook.get_run(run_id)), state


def _submit(
    definition: StepDefinition,
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
    hook: DatabricksHook,
    on_submit: OnSubmit | None,
) -> SubmittedRun:
    """Make the output folders, put the script on DBFS, and submit the run."""
    spec = _settings(definition)
    pending: list[PendingOutput] = []
    try:
        pending = prepare_outputs(definition, ctx)
        if any(item.data is None for item in located.values()):
            raise StepRunError(
                f"step '{definition.name}': dataset inputs are not passed to Databricks "
                "yet; pass a DataReference to the same data"
            )
        uris = {
            ("input", name): spark_uri(item.data.location, item.data.relative)
            for name, item in located.items()
            if item.data is not None
        }
        for output in pending:
            uris[("output", output.name)] = output_uri(output)
        python_file = _upload_script(definition, ctx, check, hook) if _from_source(spec) else None
        body = submit_body(definition, ctx, uris, python_file)
        submitted_at = time.time()
        run_id = _call(spec, "runs/submit", lambda: hook.submit_run(body))
    except BaseException:
        discard_outputs(pending)
        raise
    submitted = SubmittedRun(run_id, "", submitted_at, pending)
    try:
        submitted.run_page_url = _call(spec, "runs/get", lambda: hook.get_run_page_url(run_id))
        submitted.summary = [
            f"step {definition.name}: Databricks connection '{spec.conn_id}'",
            f"run {run_id}: {submitted.run_page_url}",
        ]
        ctx.log.info("Databricks run %s submitted: %s", run_id, submitted.run_page_url)
        if on_submit is not None:
            on_submit(run_id, submitted.run_page_url)
    except BaseException:
        _cancel_quietly(ctx, hook, run_id)
        discard_outputs(pending)
        raise
    return submitted


def _finish(
    definition: StepDefinition,
    ctx: StepContext,
    hook: DatabricksHook,
    submitted: SubmittedRun,
    ended: Callable[[], RunEnd],
) -> StepResult:
    """Wait for (or take) the run's end; publish the outputs if it succeeded, else raise."""
    pending = submitted.pending
    try:
        run, state = ended()
        summary = [*submitted.summary, f"ended {state.life_cycle_state} {state.result_state}"]
        metrics = {"databricks_run_id": submitted.run_id, "result_state": state.result_state}
        save_summary(definition.default_datastore, ctx, summary, metrics)
        if not state.is_successful:
            raise StepRunError(_failure(definition, hook, run, submitted.run_id, state))
        published = publish_outputs(pending)
        pending = []
        return StepResult(published, metrics)
    finally:
        discard_outputs(pending)


def output_uri(output: PendingOutput) -> str:
    """Where Databricks writes an output: its final place on a remote datastore (emptied
    first, removed again if the run fails), or the worker folder of a local one."""
    if output.location is None or output.fixed:
        return output.temp.resolve().as_uri()
    target = output.location.path(output.relative_path)
    if output.location.fs.exists(target):  # a retry of this task: start from nothing
        output.location.fs.rm(target, recursive=True)
    output.written_remotely = output.uploading = True
    return spark_uri(output.location, output.relative_path)


def spark_uri(location: StoreLocation, relative: str) -> str:
    """A URI Spark on Databricks reads (its datastore kind says which), ``file://`` for a
    local folder (a stand-in); a kind Spark cannot read is a clear error."""
    uri = location.datastore_kind.spark_uri(location.path(relative), dict(location.options))
    if uri is None:
        raise StepRunError(
            f"datastore '{location.datastore}' is of kind {location.kind}, which Databricks "
            "cannot read; copy the data to Blob or S3 with a DataTransferStep first"
        )
    return uri


def _from_source(spec: DatabricksSettings) -> bool:
    return spec.task.python_script_name is not None


def submit_body(
    definition: StepDefinition,
    ctx: StepContext,
    uris: dict[tuple[str, str], str],
    python_file: str | None = None,
) -> dict[str, Any]:
    """The ``runs/submit`` request: one task, its cluster, and every value filled in as is.

    Parameter values and data URIs go in verbatim: nothing here is a template or a shell line.
    """
    spec = _settings(definition)

    inputs = {name: uri for (role, name), uri in uris.items() if role == "input"}
    outputs = {name: uri for (role, name), uri in uris.items() if role == "output"}

    def value(token: ArgumentToken) -> str:
        return token.render(ctx.params, inputs, outputs)

    task_spec = spec.task
    task: dict[str, Any] = {"task_key": _TASK_KEY_UNSAFE.sub("_", ctx.task_id)[:100]}
    if spec.existing_cluster_id is not None:
        task["existing_cluster_id"] = spec.existing_cluster_id
    else:
        task["new_cluster"] = spec.new_cluster
    if spec.libraries:
        task["libraries"] = [dict(library) for library in spec.libraries]
    arguments = [value(t) for t in definition.arguments]
    if task_spec.kind == "notebook_task":
        params = {k: value(t) for k, t in definition.params.items()}
        params.update({k: value(t) for k, t in task_spec.data_params.items()})
        task["notebook_task"] = {
            "notebook_path": task_spec.notebook_path,
            "base_parameters": params,
        }
    elif task_spec.kind == "spark_jar_task":
        task["spark_jar_task"] = {
            "main_class_name": task_spec.main_class_name,
            "parameters": arguments,
        }
    else:
        task["spark_python_task"] = {
            "python_file": python_file or task_spec.python_file,
            "parameters": arguments,
        }
    body: dict[str, Any] = {
        "run_name": spec.run_name or f"{ctx.dag_id}.{ctx.task_id}",
        "tasks": [task],
    }
    if spec.timeout_seconds is not None:
        body["timeout_seconds"] = spec.timeout_seconds
    return body


def _upload_script(
    definition: StepDefinition, ctx: StepContext, check: ReuseCheck, hook: DatabricksHook
) -> str:
    """The snapshot, on DBFS under its digest; returns the script's ``dbfs:`` path there."""
    spec = _settings(definition)
    script = str(spec.task.python_script_name)
    snapshot = check.snapshot
    if snapshot is None or script not in snapshot.files:
        raise StepRunError(
            f"step '{definition.name}': script {script} is not in the step's snapshot "
            "(is it excluded by .amlignore or .gitignore?)"
        )
    folder, uploaded = _call(spec, "dbfs upload", lambda: upload_snapshot(hook, snapshot))
    ctx.log.info(
        "source snapshot on DBFS at dbfs:%s (%s)",
        folder,
        f"{uploaded} files uploaded" if uploaded else "already there",
    )
    return f"dbfs:{folder}/{script}"


def _wait(
    definition: StepDefinition,
    ctx: StepContext,
    hook: DatabricksHook,
    run_id: int,
    polling_period_seconds: float,
) -> tuple[dict[str, Any], RunState]:
    """Poll the run until it ends; past ``timeout_seconds`` cancel it and raise.

    Databricks enforces the timeout itself too; checking here as well means a run never
    outlives its task because the workspace missed it.
    """
    spec = _settings(definition)
    timeout = spec.timeout_seconds
    started = time.monotonic()
    seen = None
    try:
        while True:
            run = _call(spec, "runs/get", lambda: hook.get_run(run_id))
            state = RunState(**run["state"])
            if state.life_cycle_state != seen:
                seen = state.life_cycle_state
                ctx.log.info("Databricks run %s: %s", run_id, state.life_cycle_state)
            if state.is_terminal:
                return run, state
            if timeout is not None and time.monotonic() - started >= timeout:
                raise StepRunError(_timed_out(definition, run_id))
            time.sleep(polling_period_seconds)
    except BaseException:
        _cancel_quietly(ctx, hook, run_id)
        raise


def _timed_out(definition: StepDefinition, run_id: int) -> str:
    timeout = _settings(definition).timeout_seconds
    return (
        f"step '{definition.name}': Databricks run {run_id} did not finish "
        f"within timeout_seconds={timeout}; it was cancelled"
    )


def _cancel_quietly(ctx: StepContext, hook: DatabricksHook, run_id: int) -> None:
    try:
        hook.cancel_run(run_id)
        ctx.log.info("Databricks run %s cancelled", run_id)
    except Exception as exc:
        ctx.log.warning("could not cancel Databricks run %s: %s", run_id, exc)


def _failure(
    definition: StepDefinition,
    hook: DatabricksHook,
    run: dict[str, Any],
    run_id: int,
    state: RunState,
) -> str:
    message = (
        f"step '{definition.name}': Databricks run {run_id} ended "
        f"{state.life_cycle_state} with result {state.result_state or 'none'}"
    )
    if state.state_message:
        message += f": {state.state_message}"
    if state.result_state == "FAILED":
        # A multi-task run keeps its output per task; ours has one task.
        tasks = run.get("tasks") or []
        output_run = tasks[0].get("run_id", run_id) if len(tasks) == 1 else run_id
        try:
            error = hook.get_run_output(output_run).get("error")
        except Exception as exc:
            error = f"(its output could not be read: {exc})"
        if error:
            message += f"\nerror: {error}"
    page = run.get("run_page_url")
    if page:
        message += f"\nrun page: {page}"
    return message


def _call(spec: DatabricksSettings, what: str, call: Callable[[], Any]) -> Any:
    """A Jobs API call whose refusal becomes a StepRunError naming the connection."""
    from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

    conn_id = spec.conn_id
    try:
        return call()
    except AirflowNotFoundException:
        raise StepRunError(
            f"Databricks connection '{conn_id}' is not defined; attach a DatabricksCompute "
            f"named '{conn_id}' or create the Airflow connection"
        ) from None
    except AirflowException as exc:
        status = getattr(exc, "http_status_code", None)
        if status in (401, 403):
            raise StepRunError(
                f"Databricks connection '{conn_id}' was refused ({what}, HTTP {status}): "
                "check its token (the connection's password)"
            ) from None
        raise StepRunError(f"Databricks connection '{conn_id}': {what} failed: {exc}") from None


def _settings(definition: StepDefinition) -> DatabricksSettings:
    """A Databricks step's job settings (every planned Databricks step has them)."""
    if definition.databricks is None:
        raise StepRunError(f"step '{definition.name}' is no Databricks step")
    return definition.databricks
