"""A training pipeline whose scripts log as the old samples do, on the real Airflow: a
matplotlib chart with ``run.log_image``, a table, and the model's accuracy on the pipeline run
(``run.parent.log``), read back through the client as AML's ``get_metrics`` gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.e2e

TRAIN = """import argparse, os
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--model", type=str)
args = parser.parse_args()
run = Run.get_context()
losses = [0.9, 0.5, 0.3]
run.log_list("loss", losses)
plt.plot(losses)
plt.title("loss")
run.log_image("loss_curve", plot=plt)
run.log_table("per_class", {"class": ["cat", "dog"], "recall": [0.8, 0.9]})
run.parent.log("accuracy", 0.85)
os.makedirs(args.model, exist_ok=True)
open(os.path.join(args.model, "model.txt"), "w").write("weights")
"""
EVALUATE = """import argparse
from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--model", type=str)
parser.parse_args()
run = Run.get_context()
run.log("checked", 1)
run.parent.log("accuracy", 0.87)
run.parent.log("deployed", "no")
"""


def test_images_tables_and_pipeline_metrics_reach_the_client(airflow, tmp_path):
    for name, text in (("train", TRAIN), ("evaluate", EVALUATE)):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.py").write_text(text)
    ws = Workspace.from_config(airflow.home / "config.json")
    model = PipelineData("model", datastore=ws.get_default_datastore())
    train = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(tmp_path / "train"),
        arguments=["--model", model],
        outputs=[model],
    )
    evaluate = PythonScriptStep(
        name="evaluate",
        script_name="evaluate.py",
        source_directory=str(tmp_path / "evaluate"),
        arguments=["--model", model],
        inputs=[model],
    )
    run = Experiment(ws, "logging_demo").submit(Pipeline(ws, [train, evaluate]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"

    assert run.get_metrics() == {"accuracy": [0.85, 0.87], "deployed": "no"}
    assert run.get_metrics("deployed") == {"deployed": "no"}
    (train_run,) = run.find_step_run("train")
    (evaluate_run,) = run.find_step_run("evaluate")
    train_metrics = train_run.get_metrics()
    assert train_metrics["loss"] == [0.9, 0.5, 0.3]
    assert train_metrics["per_class"] == {"class": ["cat", "dog"], "recall": [0.8, 0.9]}
    assert train_metrics["loss_curve"].endswith("train/images/loss_curve.png")
    assert "accuracy" not in train_metrics
    assert run.get_metrics(recursive=True) == {
        run.id: {"accuracy": [0.85, 0.87], "deployed": "no"},
        train_run.id: train_metrics,
        evaluate_run.id: {"checked": 1},
    }
    # The chart is one of the step's files, and it is a PNG.
    assert "images/loss_curve.png" in train_run.get_file_names()
    png = train_run.download_file("images/loss_curve.png", str(tmp_path / "curve.png"))
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
