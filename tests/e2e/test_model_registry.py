"""A step script registers a model and uploads a file on the real Airflow; the client reads the
model back with ``Model(ws, name)`` / ``Model.list`` and watches the runs with ``RunDetails``."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Experiment, Model, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.azureml.widgets import RunDetails

pytestmark = pytest.mark.e2e

TRAIN = """import os, pickle, sys
from mlpipelines.azureml.core import Run

run = Run.get_context()
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "wb") as sink:
    pickle.dump({"alpha": 0.5}, sink)
model = run.register_model(model_name="e2e_ridge", model_path="outputs/model.pkl",
                           tags={"alpha": 0.5}, description="ridge")
run.upload_file(name="outputs/report.txt", path_or_stream="outputs/model.pkl")
run.log("model_version", model.version)
print("airflow imported:", any(m == "airflow" or m.startswith("airflow.") for m in sys.modules))
"""


def test_a_step_registers_a_model_the_client_reads(airflow, tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    ws = Workspace.from_config(airflow.home / "config.json")
    train = PythonScriptStep(
        name="train", script_name="train.py", source_directory=str(tmp_path / "src")
    )
    experiment = Experiment(ws, "model_registry")

    run = experiment.submit(Pipeline(workspace=ws, steps=[train]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    (step,) = run.find_step_run("train")
    assert step.get_metrics() == {"model_version": 1}
    assert "airflow imported: False" in step.get_logs()

    model = Model(ws, "e2e_ridge")
    assert (model.version, model.tags, model.description) == (1, {"alpha": "0.5"}, "ridge")
    assert model.run_id == f"model_registry/{run.id}/train"
    assert [m.id for m in Model.list(ws, name="e2e_ridge")] == ["e2e_ridge:1"]
    local = Path(model.download(target_dir=str(tmp_path / "models")))
    assert pickle.loads(local.read_bytes()) == {"alpha": 0.5}
    report = airflow.artifact("model_registry", run.id, "train", "outputs/report.txt")
    assert pickle.loads(report.read_bytes()) == {"alpha": 0.5}

    RunDetails(run).show()
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == f"Run {run.id}: Finished"
    assert shown[3].split()[:2] == ["train", "Finished"]

    # Unchanged: the step is reused, so no second version; the widget says from which run.
    again = experiment.submit(Pipeline(workspace=ws, steps=[train]))
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    data = RunDetails(again).get_widget_data()
    assert data["status"] == "Finished" and data["url"] == again.get_portal_url()
    assert [(r["name"], r["status"], r["reused_from"]) for r in data["steps"]] == [
        ("train", "Finished", run.id)
    ]
    assert RunDetails(again.find_step_run("train")[0]).get_widget_data()["steps"] == data["steps"]
    assert [m.version for m in Model.list(ws, name="e2e_ridge")] == [1]
