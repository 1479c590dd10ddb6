"""Run one DatabricksStep in a task: submit a one-time run through the Jobs API, poll it to
its end, and hand on its outputs.

Data reaches Databricks as URIs: an input's place on its datastore, and for an output the
folder ``prepare_outputs`` made for it, which Databricks writes and which is published as it
stands when the run succeeds (empty if the job wrote nothing). A script from
``source_directory`` is staged, as snapshotted, on the default datastore and passed as
``spark_python_task.python_file``; a real workspace cannot read that URI and needs the snapshot
on DBFS or workspace files, which is not done yet.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from typing import Any

from airflow.providers.databricks.hooks.databricks import DatabricksHook, RunState

from mlpipelines.errors import StepRunError
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.artifacts import save_summary
from mlpipelines.runtime.datastores import datastore_root
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.python_script import parameter_value
from mlpipelines.runtime.staging import LocatedInput, PendingOutput, prepare_outputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, publish_outputs, run_with_reuse
from mlpipelines.snapshot import copy_snapshot

OnSubmit = Callable[[int, str], None]
_TASK_KEY_UNSAFE = re.compile(r"[^\w-]")


def run_databricks_step(
    definition: dict[str, Any],
    ctx: StepContext,
    hook: DatabricksHook,
    polling_period_seconds: float = 30,
    on_submit: OnSubmit | None = None,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else submit it once and wait.

    ``on_submit(run_id, run_page_url)`` is called as soon as the run exists (the operator
    keeps the id to cancel it on kill). Raises StepRunError when the run fails, is cancelled,
    outlasts ``timeout_seconds`` (it is cancelled then) or the Jobs API refuses a call.
    """
    return run_with_reuse(
        definition,
        ctx,
        lambda check, located: _run_once(
            definition, ctx, check, located, hook, polling_period_seconds, on_submit
        ),
    )


def _run_once(
    definition: dict[str, Any],
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
    hook: DatabricksHook,
    polling_period_seconds: float,
    on_submit: OnSubmit | None,
) -> StepResult:
    spec = definition["databricks"]
    pending: list[PendingOutput] = []
    summary = [f"step {definition['name']}: Databricks connection '{spec['conn_id']}'"]
    try:
        pending = prepare_outputs(definition, ctx)
        if any(item.data is None for item in located.values()):
            raise StepRunError(
                f"step '{definition['name']}': dataset inputs are not passed to Databricks "
                "yet; pass a DataReference to the same data"
            )
        uris = {
            ("input", name): item.data.uri()
            for name, item in located.items()
            if item.data is not None
        }
        uris.update({("output", p.name): p.temp.resolve().as_uri() for p in pending})
        python_file = _stage_script(definition, ctx, check) if _from_source(spec) else None
        body = submit_body(definition, ctx, uris, python_file)
        run_id = _call(spec, "runs/submit", lambda: hook.submit_run(body))
        page_url = _call(spec, "runs/get", lambda: hook.get_run_page_url(run_id))
        summary.append(f"run {run_id}: {page_url}")
        ctx.log.info("Databricks run %s submitted: %s", run_id, page_url)
        if on_submit is not None:
            on_submit(run_id, page_url)
        run, state = _wait(definition, ctx, hook, run_id, polling_period_seconds)
        summary.append(f"ended {state.life_cycle_state} {state.result_state}")
        metrics = {"databricks_run_id": run_id, "result_state": state.result_state}
        save_summary(definition["default_datastore"], ctx, summary, metrics)
        if not state.is_successful:
            raise StepRunError(_failure(definition, hook, run, run_id, state))
        published = publish_outputs(pending)
        pending = []
        return StepResult(published, metrics)
    finally:
        discard_outputs(pending)


def _from_source(spec: dict[str, Any]) -> bool:
    return "python_script_name" in spec["task"]


def submit_body(
    definition: dict[str, Any],
    ctx: StepContext,
    uris: dict[tuple[str, str], str],
    python_file: str | None = None,
) -> dict[str, Any]:
    """The ``runs/submit`` request: one task, its cluster, and every value filled in as is.

    Parameter values and data URIs go in verbatim: nothing here is a template or a shell line.
    """
    spec = definition["databricks"]

    def value(token: dict[str, Any]) -> str:
        if "parameter" in token:
            return str(parameter_value(token["parameter"], ctx.params))
        for role in ("input", "output"):
            if role in token:
                return uris[(role, token[role])]
        return str(token["value"])

    task_spec = spec["task"]
    task: dict[str, Any] = {"task_key": _TASK_KEY_UNSAFE.sub("_", ctx.task_id)[:100]}
    if spec["existing_cluster_id"] is not None:
        task["existing_cluster_id"] = spec["existing_cluster_id"]
    else:
        task["new_cluster"] = spec["new_cluster"]
    arguments = [value(t) for t in definition["arguments"]]
    if task_spec["kind"] == "notebook_task":
        params = {k: value(t) for k, t in definition["params"].items()}
        params.update({k: value(t) for k, t in task_spec["data_params"].items()})
        task["notebook_task"] = {
            "notebook_path": task_spec["notebook_path"],
            "base_parameters": params,
        }
    elif task_spec["kind"] == "spark_jar_task":
        task["spark_jar_task"] = {
            "main_class_name": task_spec["main_class_name"],
            "parameters": arguments,
        }
    else:
        task["spark_python_task"] = {
            "python_file": python_file or task_spec["python_file"],
            "parameters": arguments,
        }
    body: dict[str, Any] = {
        "run_name": spec["run_name"] or f"{ctx.dag_id}.{ctx.task_id}",
        "tasks": [task],
    }
    if spec["timeout_seconds"] is not None:
        body["timeout_seconds"] = spec["timeout_seconds"]
    return body


def _stage_script(definition: dict[str, Any], ctx: StepContext, check: ReuseCheck) -> str:
    """The snapshot, copied to the default datastore; returns the script's URI there."""
    script = definition["databricks"]["task"]["python_script_name"]
    snapshot = check.snapshot
    if snapshot is None or script not in snapshot.files:
        raise StepRunError(
            f"step '{definition['name']}': script {script} is not in the step's snapshot "
            "(is it excluded by .amlignore or .gitignore?)"
        )
    root = datastore_root(definition["default_datastore"])
    target = root / "snapshots" / ctx.run_folder / ctx.task_id
    if target.exists():
        shutil.rmtree(target)
    copy_snapshot(snapshot, target)
    return (target / script).resolve().as_uri()


def _wait(
    definition: dict[str, Any],
    ctx: StepContext,
    hook: DatabricksHook,
    run_id: int,
    polling_period_seconds: float,
) -> tuple[dict[str, Any], RunState]:
    """Poll the run until it ends; past ``timeout_seconds`` cancel it and raise.

    Databricks enforces the timeout itself too; checking here as well means a run never
    outlives its task because the workspace missed it.
    """
    spec = definition["databricks"]
    timeout = spec["timeout_seconds"]
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
                raise StepRunError(
                    f"step '{definition['name']}': Databricks run {run_id} did not finish "
                    f"within timeout_seconds={timeout}; it was cancelled"
                )
            time.sleep(polling_period_seconds)
    except BaseException:
        _cancel_quietly(ctx, hook, run_id)
        raise


def _cancel_quietly(ctx: StepContext, hook: DatabricksHook, run_id: int) -> None:
    try:
        hook.cancel_run(run_id)
        ctx.log.info("Databricks run %s cancelled", run_id)
    except Exception as exc:
        ctx.log.warning("could not cancel Databricks run %s: %s", run_id, exc)


def _failure(
    definition: dict[str, Any],
    hook: DatabricksHook,
    run: dict[str, Any],
    run_id: int,
    state: RunState,
) -> str:
    message = (
        f"step '{definition['name']}': Databricks run {run_id} ended "
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


def _call(spec: dict[str, Any], what: str, call: Callable[[], Any]) -> Any:
    """A Jobs API call whose refusal becomes a StepRunError naming the connection."""
    from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

    conn_id = spec["conn_id"]
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
