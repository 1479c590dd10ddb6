"""What step scripts log beyond ``run.log``, written as the old samples write it: tables,
confusion matrices, images from matplotlib, and metrics on the pipeline run (``run.parent``).
The step's environment variables are set as the runtime sets them."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

from mlpipelines.azureml.core import Run
from mlpipelines.errors import UserErrorException
from mlpipelines.model.workspace import airflow_home
from mlpipelines.records.metrics import read_metrics, split_metrics
from mlpipelines.records.reserved import (
    ENV_EXPERIMENT,
    ENV_METRICS_FILE,
    ENV_PARENT_RUN_ID,
    ENV_RUN_ID,
    PIPELINE_METRICS_KEY,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STEP_RUN_ID = "train_dag/manual__2026-01-01T00:00:00+00:00/train"
ARTIFACTS = "mlpipelines/workspaceblobstore/artifacts/train_dag/manual__2026-01-01T00_00_00_00_00"


@pytest.fixture
def metrics_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    file = tmp_path / "metrics.jsonl"
    monkeypatch.setenv(ENV_RUN_ID, STEP_RUN_ID)
    monkeypatch.setenv(ENV_PARENT_RUN_ID, "manual__2026-01-01T00:00:00+00:00")
    monkeypatch.setenv(ENV_EXPERIMENT, "train_dag")
    monkeypatch.setenv(ENV_METRICS_FILE, str(file))
    monkeypatch.chdir(tmp_path)
    return file


def test_tables_and_confusion_matrices_are_kept_as_logged(metrics_file):
    run = Run.get_context()
    run.log_table("per_class", {"class": ["a", "b"], "recall": [0.5, 1.0]})
    matrix = {"schema_type": "confusion_matrix", "data": {"class_labels": ["a", "b"]}}
    run.log_confusion_matrix("cm", json.dumps(matrix))
    run.log_predictions("pred", {"bin_averages": [1.0]})
    assert read_metrics(metrics_file) == {
        "per_class": {"class": ["a", "b"], "recall": [0.5, 1.0]},
        "cm": matrix,
        "pred": {"bin_averages": [1.0]},
    }
    with pytest.raises(UserErrorException, match=r"log_table\('bad'\).*dict of lists"):
        run.log_table("bad", [1, 2])


def test_an_image_from_matplotlib_becomes_an_artifact_and_its_metric(metrics_file, tmp_path):
    run = Run.get_context()
    plt.plot([1, 2, 3], [3, 1, 2])
    run.log_image("ROC", plot=plt)
    (tmp_path / "chart.svg").write_text("<svg/>")
    run.log_image(name="chart", path="chart.svg")
    folder = airflow_home() / ARTIFACTS / "train" / "images"
    assert (folder / "ROC.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "chart.svg").read_text() == "<svg/>"
    metrics = read_metrics(metrics_file)
    assert metrics["ROC"].endswith("train/images/ROC.png")
    assert metrics["chart"].endswith("train/images/chart.svg")
    with pytest.raises(UserErrorException, match="exactly one of path= or plot="):
        run.log_image("neither")


def test_metrics_on_the_pipeline_run_are_kept_apart_from_the_steps(metrics_file):
    run = Run.get_context()
    run.log("loss", 0.25)
    run.parent.log("accuracy", 0.91)
    run.parent.log_list("curve", [0.5, 0.9])
    run.parent.tag("model", "svc")
    metrics = read_metrics(metrics_file)
    assert split_metrics(metrics) == ({"loss": 0.25}, {"accuracy": 0.91, "curve": [0.5, 0.9]})
    assert run.get_metrics() == {"loss": 0.25}
    assert run.parent.get_metrics() == {"accuracy": 0.91, "curve": [0.5, 0.9]}
    with pytest.raises(UserErrorException, match="reserved"):
        run.log(PIPELINE_METRICS_KEY, 1)


def test_offline_runs_take_the_same_calls(monkeypatch, capsys):
    for name in (ENV_RUN_ID, ENV_PARENT_RUN_ID, ENV_METRICS_FILE):
        monkeypatch.delenv(name, raising=False)
    run = Run.get_context()
    plt.plot([1, 2])
    run.log_image("curve", plot=plt)
    run.log_table("t", {"a": [1]})
    assert run.get_metrics()["t"] == {"a": [1]}
    assert "curve" in capsys.readouterr().out


def test_a_script_keeps_folders_and_files_and_reads_its_own_details(metrics_file, tmp_path):
    run = Run.get_context()
    (tmp_path / "report" / "plots").mkdir(parents=True)
    (tmp_path / "report" / "summary.txt").write_text("ok")
    (tmp_path / "report" / "plots" / "a.svg").write_text("<svg/>")
    uris = run.upload_folder(name="report", path="report")
    assert [u.rsplit("/train/", 1)[1] for u in uris] == ["report/plots/a.svg", "report/summary.txt"]
    assert run.upload_files(["x.txt"], ["report/summary.txt"], return_artifacts=True)[0].endswith(
        "train/x.txt"
    )
    folder = airflow_home() / ARTIFACTS / "train"
    assert (folder / "report" / "plots" / "a.svg").read_text() == "<svg/>"
    with pytest.raises(UserErrorException, match="give as many names as paths"):
        run.upload_files(["a", "b"], ["report/summary.txt"])
    run.tag("stage", "train")
    details = run.get_details()
    assert (details["runId"], details["status"], details["tags"]) == (
        STEP_RUN_ID,
        "Running",
        {"stage": "train"},
    )
