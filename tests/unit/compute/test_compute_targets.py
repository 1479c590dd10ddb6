"""Compute targets without an Airflow: the registry records, lookups by name, the checks a
pipeline gets at definition time, and the pool a cluster's steps run in."""

from __future__ import annotations

import pytest

from mlpipelines import AdlaStep, Pipeline, PipelineValidationError, PythonScriptStep, Workspace
from mlpipelines.azureml.core.compute import AdlaCompute, AmlCompute, ComputeTarget
from mlpipelines.azureml.exceptions import ComputeTargetException as OldPathException
from mlpipelines.exceptions import ComputeTargetException


@pytest.fixture
def ws(tmp_path):
    return Workspace(home=str(tmp_path / "home"))


def test_unknown_targets_raise_from_both_exception_paths(ws):
    assert OldPathException is ComputeTargetException
    with pytest.raises(ComputeTargetException, match="no compute target named 'gpu'"):
        ComputeTarget(workspace=ws, name="gpu")


def test_a_created_cluster_is_found_by_name_with_its_status(ws, capsys):
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=2)
    created = ComputeTarget.create(ws, "cpu-cluster", config)
    created.wait_for_completion(show_output=True)
    assert "Succeeded" in capsys.readouterr().out
    found = ComputeTarget(workspace=ws, name="cpu-cluster")
    assert isinstance(found, AmlCompute) and found.type == "AmlCompute"
    assert found.status.serialize()["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 2}
    assert found.status.serialize()["vmSize"] == "STANDARD_D2_V2"
    assert set(ws.compute_targets) == {"local", "cpu-cluster"}
    found.delete()
    assert set(ws.compute_targets) == {"local"}
    with pytest.raises(ComputeTargetException):
        ComputeTarget(ws, "cpu-cluster")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_nodes": 0}, "need 1 <= max_nodes"),
        ({"min_nodes": 3, "max_nodes": 2}, "min_nodes <= max_nodes"),
        ({"backend": "slurm"}, "backend 'slurm' is not available yet"),
        ({"backend": "kubernetes"}, "backend 'kubernetes' needs an image"),
        ({"backend": "docker"}, "or set MLPIPELINES_STEP_IMAGE"),
    ],
)
def test_bad_cluster_settings_are_refused(ws, settings, message, monkeypatch):
    monkeypatch.delenv("MLPIPELINES_STEP_IMAGE", raising=False)
    with pytest.raises(ComputeTargetException, match=message):
        ComputeTarget.create(ws, "c", AmlCompute.provisioning_configuration(**settings))


def test_steps_on_a_cluster_run_in_its_pool(ws, tmp_path):
    ComputeTarget.create(ws, "small", AmlCompute.provisioning_configuration(max_nodes=1))
    (tmp_path / "run.py").write_text("print('hi')")
    steps = [
        PythonScriptStep(
            name=f"s{i}",
            script_name="run.py",
            source_directory=str(tmp_path),
            compute_target=ComputeTarget(ws, "small"),
        )
        for i in range(2)
    ]
    dag = Pipeline(ws, steps).to_dag("on_small")
    assert {t.task_id: t.pool for t in dag.tasks if t.task_id.startswith("s")} == {
        "s0": "small",
        "s1": "small",
    }


def test_unknown_or_unfit_targets_fail_validation_naming_the_step(ws, tmp_path):
    ComputeTarget.attach(ws, "sql", AdlaCompute.attach_configuration(account_name="old"))
    ComputeTarget.create(ws, "cpu", AmlCompute.provisioning_configuration())
    (tmp_path / "run.py").write_text("print('hi')")
    (tmp_path / "q.sql").write_text("SELECT 1;")
    steps = [
        PythonScriptStep(
            name="train", script_name="run.py", source_directory=str(tmp_path), target="gpu"
        ),
        AdlaStep(
            script_name="q.sql", name="agg", source_directory=str(tmp_path), compute_target="cpu"
        ),
        AdlaStep(
            script_name="q.sql", name="fine", source_directory=str(tmp_path), compute_target="sql"
        ),
    ]
    with pytest.raises(PipelineValidationError) as raised:
        Pipeline(ws, steps).validate()
    kinds = {(p.kind, p.step) for p in raised.value.problems}
    assert kinds == {("unknown-compute-target", "train"), ("wrong-compute-target", "agg")}
    assert "no compute target named 'gpu'" in str(raised.value)
