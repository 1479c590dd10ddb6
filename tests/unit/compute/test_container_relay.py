"""The step operator on a container backend relays what the container reports, as a local
step pushes its result: outputs, metrics, and skipped when reused; and it looks at the key on
the worker first, so a reused or held step starts no container."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from mlpipelines.operators import step_containers
from mlpipelines.operators.python_script import PythonScriptStepOperator
from mlpipelines.records import DatastoreSpec, OutputReference, StepDefinition

DEFINITION = StepDefinition.from_json(
    {
        "name": "train",
        "task_id": "train",
        "kind": "python_script",
        "allow_reuse": False,  # the container decides; here it only reports
        "inputs": [],
        "compute_target": "box",
        "compute": {"type": "AmlCompute", "pool": "box", "backend": "docker", "image": "step:1"},
        "default_datastore": {"name": "workspaceblobstore"},
    }
)


class _Ti:
    dag_id, run_id, task_id, try_number = "d", "r1", "train", 1

    last: _Ti

    def __init__(self) -> None:
        self.pushed: dict = {}
        _Ti.last = self

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value

    def xcom_pull(self, **_: object) -> None:
        return None


def _run(monkeypatch, lines: list[str]) -> _Ti:
    seen = {}

    def fake(definition, envelope, task_id):
        seen["envelope"] = envelope
        return SimpleNamespace(execute=lambda context: lines)

    monkeypatch.setattr(step_containers, "docker_operator_for", fake)
    ti = _Ti()
    operator = PythonScriptStepOperator.for_step(task_id="train", step=DEFINITION)
    try:
        operator.execute({"ti": ti, "params": {"n": 1}})
    finally:
        assert seen["envelope"]["params"] == {"n": 1}
    return ti


def test_outputs_and_metrics_are_pushed(monkeypatch):
    ref = OutputReference("s", "p", "file:///s/p", DatastoreSpec("s"), "sha256:1").to_json()
    result = {"outputs": {"model": ref}, "metrics": {"acc": 0.9}, "reused_run_id": None}
    why = "runs: no manifest for this key, and no earlier run of this step"
    line = "MLPIPELINES_RESULT " + json.dumps({**result, "key": "k", "explanation": why})
    ti = _run(monkeypatch, ["INFO running", line])
    assert ti.pushed == {
        "output_model": ref,
        "metrics": {"acc": 0.9},
        "reuse_decision": {"decision": "run", "detail": why, "key": "k"},
    }


def test_a_step_that_logged_no_metrics_pushes_no_metrics_xcom(monkeypatch):
    ref = OutputReference("s", "p", "file:///s/p", DatastoreSpec("s"), "sha256:1").to_json()
    line = "MLPIPELINES_RESULT " + json.dumps(
        {"outputs": {"model": ref}, "metrics": {}, "reused_run_id": None, "key": "k"}
    )
    ti = _run(monkeypatch, [line])
    assert set(ti.pushed) == {"output_model", "reuse_decision"}


def test_a_reused_result_is_pushed_then_skipped(monkeypatch):
    line = 'MLPIPELINES_RESULT {"outputs": {}, "metrics": {}, "reused_run_id": "r0", "key": "k"}'
    with pytest.raises(AirflowSkipException, match="reused from run r0"):
        _run(monkeypatch, [line])
    # Where the pushed decision says the result came from (the pipeline view and the note
    # read it): a container reports the run, so the DAG and task are this task's.
    pushed = _Ti.last.pushed["reuse_decision"]
    assert pushed == {
        "decision": "reuse",
        "detail": "",
        "key": "k",
        "run_id": "r0",
        "dag_id": "d",
        "task_id": "train",
    }


def _planned_on_docker(tmp_path):
    from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace
    from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget
    from mlpipelines.model.planning import plan_pipeline

    ws = Workspace(home=str(tmp_path / "client"))
    config = AmlCompute.provisioning_configuration(backend="docker", image="step:1")
    ComputeTarget.create(ws, "box", config)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(  # a key of this test alone
        f"# {uuid.uuid4().hex}\nimport os, sys\nopen(os.path.join(sys.argv[2], 'm'), 'w')\n"
    )
    model = PipelineData("model", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--out", model],
        outputs=[model],
        compute_target="box",
    )
    (task,) = plan_pipeline(Pipeline(ws, [step])).tasks
    return task.definition


def _no_container(monkeypatch) -> list:
    built: list = []
    monkeypatch.setattr(step_containers, "docker_operator_for", lambda *a: built.append(a) or None)
    return built


def test_a_reused_key_starts_no_container(monkeypatch, tmp_path):
    from mlpipelines.runtime.python_script import run_python_script_step
    from mlpipelines.runtime.step_context import StepContext

    definition = _planned_on_docker(tmp_path)
    first = run_python_script_step(definition, StepContext("d", "r0", "train", {}, lambda *_: None))
    built = _no_container(monkeypatch)
    ti = _Ti()
    operator = PythonScriptStepOperator.for_step(task_id="train", step=definition)
    with pytest.raises(AirflowSkipException, match="reused from run r0"):
        operator.execute({"ti": ti, "params": {}})
    assert built == []
    assert ti.pushed["output_model"] == first.outputs["model"].to_json()


def test_a_held_key_waits_deferred_without_a_container(monkeypatch, tmp_path):
    from airflow.sdk.exceptions import TaskDeferred

    from mlpipelines.triggers import reuse as waits_module

    monkeypatch.setattr(waits_module, "WAIT_IN_PROCESS_SECONDS", 0.2)

    from mlpipelines.reuse.decision import check_reuse
    from mlpipelines.reuse.store import Holder, ReuseStore
    from mlpipelines.runtime.step_context import StepContext
    from mlpipelines.runtime.step_run import look_before_running

    definition = _planned_on_docker(tmp_path)
    ctx = StepContext("d", "other", "train", {}, lambda *_: None)
    assert look_before_running(definition, ctx) is None, "nothing made, nobody holds it"
    store = ReuseStore(definition.default_datastore)
    key = check_reuse(definition, {}, {}, store, "d", "train").key
    assert store.claim(key, Holder("d", "other", "train")) is None
    built = _no_container(monkeypatch)
    operator = PythonScriptStepOperator.for_step(task_id="train", step=definition)
    try:
        with pytest.raises(TaskDeferred) as waits:
            operator.execute({"ti": _Ti(), "params": {}})
    finally:
        store.release(key, Holder("d", "other", "train"))
    assert waits.value.method_name == "resume_after_holder"
    assert built == []
