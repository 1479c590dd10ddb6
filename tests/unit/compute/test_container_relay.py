"""The step operator on a container backend relays what the container reports, as a local
step pushes its result: outputs, metrics, and skipped when reused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from mlpipelines.operators import step_containers
from mlpipelines.operators.python_script import PythonScriptStepOperator

DEFINITION = {
    "name": "train",
    "kind": "python_script",
    "inputs": [],
    "compute_target": "box",
    "compute": {"type": "AmlCompute", "pool": "box", "backend": "docker", "image": "step:1"},
}


class _Ti:
    dag_id, run_id, task_id, try_number = "d", "r1", "train", 1

    def __init__(self) -> None:
        self.pushed: dict = {}

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
    operator = PythonScriptStepOperator(task_id="train", step=DEFINITION)
    try:
        operator.execute({"ti": ti, "params": {"n": 1}})
    finally:
        assert seen["envelope"]["params"] == {"n": 1}
    return ti


def test_outputs_and_metrics_are_pushed(monkeypatch):
    ref = {"datastore": "s", "path": "p"}
    line = (
        'MLPIPELINES_RESULT {"outputs": {"model": {"datastore": "s", "path": "p"}}, '
        '"metrics": {"acc": 0.9}, "reused_run_id": null, "key": "k"}'
    )
    ti = _run(monkeypatch, ["INFO running", line])
    assert ti.pushed == {"output_model": ref, "metrics": {"acc": 0.9}}


def test_a_reused_result_is_pushed_then_skipped(monkeypatch):
    line = 'MLPIPELINES_RESULT {"outputs": {}, "metrics": {}, "reused_run_id": "r0", "key": "k"}'
    with pytest.raises(AirflowSkipException, match="reused from run r0"):
        _run(monkeypatch, [line])
