"""Deferrable DatabricksStep: submit, defer to the trigger, resume in a fresh operator; through
the real DatabricksHook (sync and async) against the local Jobs API stand-in.

Each hand-over crosses a JSON round trip, as it does between worker, database and triggerer.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowSkipException, TaskDeferred

from mlpipelines import DatabricksStep, Pipeline, PipelineData, UserErrorException, Workspace
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.operators.databricks import RUN_PAGE_URL_XCOM_KEY, DatabricksStepOperator
from mlpipelines.records import StepDefinition
from mlpipelines.reuse.store import Holder, ReuseStore
from mlpipelines.triggers.databricks import DatabricksStepRunTrigger
from support.databricks_jobs_api import JobsApiStandIn, Outcome

CONN_ID = "databricks_test"


class _TaskInstance:
    dag_id = "databricks_deferred"
    try_number = 1

    def __init__(self, task_id: str, run_id: str) -> None:
        self.task_id = task_id
        self.run_id = run_id
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, **kwargs: Any) -> Any:
        return None


def _definition(name: str, run_name: str, **kwargs: Any) -> StepDefinition:
    kwargs.setdefault("outputs", [PipelineData("model")])
    step = DatabricksStep(
        name=name,
        notebook_path="/Shared/train",
        existing_cluster_id="c-1",
        compute_target=CONN_ID,
        # A fresh key per test: the datastore is shared by the whole session.
        notebook_params={"nonce": uuid.uuid4().hex},
        run_name=run_name,
        **kwargs,
    )
    plan = plan_pipeline(Pipeline(Workspace.current(), [step]))
    return plan.tasks[0].definition


def _operator(definition: StepDefinition, **kwargs: Any) -> DatabricksStepOperator:
    kwargs.setdefault("deferrable", True)
    return DatabricksStepOperator(
        task_id=definition.name, step=definition, polling_period_seconds=0.05, **kwargs
    )


def _context(ti: _TaskInstance) -> dict[str, Any]:
    return {"ti": ti, "params": {}}


def _roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _defer(definition: StepDefinition, ti: _TaskInstance) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as deferred:
        _operator(definition).execute(_context(ti))
    assert deferred.value.method_name == "execute_complete"
    return deferred.value


def _trigger(deferred: TaskDeferred) -> DatabricksStepRunTrigger:
    """The trigger as the triggerer rebuilds it: from its classpath and JSON kwargs."""
    classpath, kwargs = deferred.trigger.serialize()
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**_roundtrip(kwargs))


async def _next_payload(trigger: Any) -> Any:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def _first_event(trigger: DatabricksStepRunTrigger) -> dict[str, Any]:
    async def first() -> Any:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return _roundtrip(asyncio.run(first()))


def _resume(
    definition: StepDefinition, ti: _TaskInstance, deferred: TaskDeferred, event: dict[str, Any]
) -> None:
    """``execute_complete`` on a new operator, as a resumed task runs in a new process."""
    _operator(definition).execute_complete(_context(ti), event=event)


def _resume_state(deferred: TaskDeferred) -> dict[str, Any]:
    assert deferred.kwargs is None, "all the task needs comes back in the event"
    return deferred.trigger.serialize()[1]["resume"]


def _marker(definition: StepDefinition, key: str) -> Path:
    return Path(ReuseStore(definition.default_datastore).docs.path(f"reuse/{key}.inprogress"))


def _run_id() -> str:
    return f"manual__{uuid.uuid4().hex[:8]}"


def test_success_publishes_outputs_and_records_the_manifest(jobs_api: JobsApiStandIn):
    jobs_api.script("deferred-ok", Outcome(polls=2))
    definition = _definition("trained", "deferred-ok")
    ti = _TaskInstance("trained", _run_id())

    deferred = _defer(definition, ti)

    [run_id] = jobs_api.runs
    assert ti.pushed[RUN_PAGE_URL_XCOM_KEY].endswith(f"/run/{run_id}")
    key = _resume_state(deferred)["claim"]["key"]
    marker = json.loads(_marker(definition, key).read_text())
    assert marker["host"] == "", "handed over: no worker process vouches for it"

    trigger = _trigger(deferred)
    event = _first_event(trigger)
    assert event["result_state"] == "SUCCESS"
    assert "json" in jobs_api.get_bodies, "the async hook polled (run_id as a GET body)"
    marker = json.loads(_marker(definition, key).read_text())
    assert marker["pid"] == os.getpid(), "the trigger kept the marker alive as its own"

    _resume(definition, ti, deferred, event)

    assert ti.pushed["metrics"] == {"databricks_run_id": run_id, "result_state": "SUCCESS"}
    ref = ti.pushed["output_model"]
    assert (Workspace.current().datastore_root("workspaceblobstore") / ref["path"]).is_dir()
    manifest, _ = ReuseStore(definition.default_datastore).load_manifest(key)
    assert manifest is not None and manifest.outputs["model"].path == ref["path"]
    assert not _marker(definition, key).exists()
    assert [call for call in jobs_api.calls if call[1] == "runs/submit"] == [
        ("POST", "runs/submit")
    ]

    # Another DAG run of the same step is reused: it submits nothing and defers nothing.
    again = _TaskInstance("trained", _run_id())
    with pytest.raises(AirflowSkipException, match="reused from run"):
        _operator(definition).execute(_context(again))
    assert list(jobs_api.runs) == [run_id]
    assert again.pushed["output_model"] == ref


def test_failure_raises_with_the_runs_error_and_leaves_no_manifest(jobs_api: JobsApiStandIn):
    jobs_api.script("deferred-boom", Outcome(result_state="FAILED", error="ValueError: bad row"))
    definition = _definition("broken", "deferred-boom")
    ti = _TaskInstance("broken", _run_id())
    deferred = _defer(definition, ti)
    key = _resume_state(deferred)["claim"]["key"]

    event = _first_event(_trigger(deferred))
    assert event["result_state"] == "FAILED"
    with pytest.raises(AirflowException) as err:
        _resume(definition, ti, deferred, event)

    message = str(err.value)
    assert "ended TERMINATED with result FAILED" in message
    assert "ValueError: bad row" in message
    assert ("GET", "runs/get-output") in jobs_api.calls
    store = ReuseStore(definition.default_datastore)
    assert store.load_manifest(key) == (None, None)
    assert not _marker(definition, key).exists()
    temp = Path(_resume_state(deferred)["work"]["pending"][0]["temp"])
    assert not temp.exists(), "the half-made output is discarded"
    assert "output_model" not in ti.pushed


def test_timeout_cancels_the_run_from_the_trigger(jobs_api: JobsApiStandIn):
    jobs_api.script("deferred-slow", Outcome(never_ends=True))
    definition = _definition("slow", "deferred-slow", timeout_seconds=1)
    ti = _TaskInstance("slow", _run_id())
    deferred = _defer(definition, ti)

    event = _first_event(_trigger(deferred))

    assert event["timed_out"] is True
    assert len(jobs_api.cancelled) == 1
    with pytest.raises(AirflowException, match="within timeout_seconds=1; it was cancelled"):
        _resume(definition, ti, deferred, event)
    assert not _marker(definition, _resume_state(deferred)["claim"]["key"]).exists()


def test_the_deferred_key_holds_off_another_run_until_killed(
    jobs_api: JobsApiStandIn, monkeypatch: pytest.MonkeyPatch
):
    from mlpipelines.triggers import reuse as waits_module

    # Wait in process 0.2 s (not 30) before deferring, and let the wait fire at once.
    monkeypatch.setattr(waits_module, "WAIT_IN_PROCESS_SECONDS", 0.2)
    monkeypatch.setattr(waits_module, "DEFER_AT_LEAST_SECONDS", 0.0)
    jobs_api.script("deferred-held", Outcome(never_ends=True))
    definition = _definition("held", "deferred-held")
    deferred = _defer(definition, _TaskInstance("held", _run_id()))
    key = _resume_state(deferred)["claim"]["key"]

    with pytest.raises(TaskDeferred) as waits:
        _operator(definition).execute(_context(_TaskInstance("held", _run_id())))
    assert waits.value.method_name == "resume_after_holder"
    assert len(jobs_api.runs) == 1, "the second run waits instead of submitting"
    wait = _trigger(waits.value)
    assert wait.still_held() == [key]
    (pending,) = _resume_state(deferred)["work"]["pending"]
    output_folder = Path(pending["temp"])
    (output_folder / "part-0.parquet").write_bytes(b"half written")

    asyncio.run(_trigger(deferred).on_kill())

    assert len(jobs_api.cancelled) == 1
    assert not output_folder.exists(), "what the killed run wrote is removed"
    assert not _marker(definition, key).exists()
    assert ReuseStore(definition.default_datastore).holder_of(key) is None
    assert asyncio.run(asyncio.wait_for(_next_payload(wait), 5)) == {"released": [key]}


def test_a_run_that_cannot_be_followed_is_cancelled_and_cleaned_up(jobs_api: JobsApiStandIn):
    jobs_api.script("deferred-lost", Outcome(never_ends=True))
    definition = _definition("lost", "deferred-lost")
    ti = _TaskInstance("lost", _run_id())
    deferred = _defer(definition, ti)
    trigger = _trigger(deferred)
    jobs_api.token = "rotated"  # every call of the trigger is refused from now on
    try:
        event = _first_event(trigger)
    finally:
        jobs_api.token = JobsApiStandIn.token
    assert event["failure"] and "401" in event["failure"]
    with pytest.raises(AirflowException, match="could not be followed"):
        _resume(definition, ti, deferred, event)
    assert not _marker(definition, _resume_state(deferred)["claim"]["key"]).exists()


def test_without_reuse_no_marker_is_handed_to_the_trigger(jobs_api: JobsApiStandIn):
    definition = _definition("fresh", "deferred-fresh", allow_reuse=False)
    ti = _TaskInstance("fresh", _run_id())
    deferred = _defer(definition, ti)
    assert deferred.trigger.serialize()[1]["held_key"] is None
    _resume(definition, ti, deferred, _first_event(_trigger(deferred)))
    assert ti.pushed["metrics"]["result_state"] == "SUCCESS"


def test_default_deferrable_comes_from_airflow_config(monkeypatch):
    definition = _definition("configured", "configured", allow_reuse=False)
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert _operator(definition, deferrable=None).deferrable is True
    assert _operator(definition, deferrable=False).deferrable is False
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert _operator(definition, deferrable=None).deferrable is False


def test_holder_without_host_is_judged_by_its_heartbeat_alone():
    assert Holder("d", "r", "t", host="", pid=1).alive()
    assert not Holder("d", "r", "t", host="", pid=1, heartbeat=0.0).alive()


def test_step_keyword_reaches_the_operator_and_leaves_the_key_alone(monkeypatch):
    from mlpipelines.reuse.keys import reuse_components, reuse_key
    from mlpipelines.translate.render import render_dag

    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")

    def plan(deferrable: bool | None) -> Any:
        step = DatabricksStep(
            name="kw",
            notebook_path="/Shared/train",
            existing_cluster_id="c-1",
            compute_target=CONN_ID,
            deferrable=deferrable,
        )
        return plan_pipeline(Pipeline(Workspace.current(), [step]))

    deferred, polled, unset = plan(True), plan(False), plan(None)
    keys = {
        reuse_key(reuse_components(p.tasks[0].definition, {}, None, {}))
        for p in (deferred, polled, unset)
    }
    assert len(keys) == 1
    assert render_dag(deferred, "kw_deferred").get_task("kw").deferrable is True
    assert render_dag(unset, "kw_unset").get_task("kw").deferrable is False
    with pytest.raises(UserErrorException, match="deferrable must be"):
        DatabricksStep(name="bad", notebook_path="/a", existing_cluster_id="c", deferrable="yes")
