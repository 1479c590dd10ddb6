"""Run.get_context(): an offline run outside a pipeline, a step run (metrics file) inside one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mlpipelines
from mlpipelines.azureml.core import Run as OldPathRun
from mlpipelines.model.run import OfflineRun, Run
from mlpipelines.records.metrics import read_metrics

STEP_ENV = (
    "MLPIPELINES_RUN_ID",
    "MLPIPELINES_PARENT_RUN_ID",
    "MLPIPELINES_EXPERIMENT",
    "MLPIPELINES_METRICS_FILE",
    "MLPIPELINES_STEP_NAME",
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Run:
    for name in STEP_ENV:
        monkeypatch.delenv(name, raising=False)
    return Run.get_context()


@pytest.fixture
def metrics_file(tmp_path: Path) -> Path:
    return tmp_path / "metrics.jsonl"


@pytest.fixture
def step_run(monkeypatch: pytest.MonkeyPatch, metrics_file: Path) -> Run:
    monkeypatch.setenv("MLPIPELINES_RUN_ID", "step-run-42")
    monkeypatch.setenv("MLPIPELINES_PARENT_RUN_ID", "pipeline-run-7")
    monkeypatch.setenv("MLPIPELINES_EXPERIMENT", "iris_dag")
    monkeypatch.setenv("MLPIPELINES_METRICS_FILE", str(metrics_file))
    monkeypatch.delenv("MLPIPELINES_STEP_NAME", raising=False)
    return Run.get_context()


# -- offline ---------------------------------------------------------------------------------


def test_offline_run_prints_what_it_logs(offline: Run, capsys: pytest.CaptureFixture) -> None:
    assert isinstance(offline, OfflineRun)
    offline.log("accuracy", 0.93)
    offline.log_list("losses", [0.5, 0.25])
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "0.93" in printed
    assert "losses" in printed and "0.25" in printed


def test_offline_run_folds_metrics(offline: Run, capsys: pytest.CaptureFixture) -> None:
    offline.log("once", 1)
    offline.log("twice", 1)
    offline.log("twice", 2)
    offline.log_list("curve", [3, 4])
    offline.log_row("table", a=1, b="x")
    assert offline.get_metrics() == {
        "once": 1,
        "twice": [1, 2],
        "curve": [3, 4],
        "table": [{"a": 1, "b": "x"}],
    }
    assert offline.get_metrics("twice") == {"twice": [1, 2]}
    assert offline.get_metrics("absent") == {}


def test_offline_refused_when_not_allowed(offline: Run) -> None:
    with pytest.raises(RuntimeError):
        Run.get_context(allow_offline=False)


# -- inside a step ---------------------------------------------------------------------------


def test_step_run_identity(step_run: Run) -> None:
    assert not isinstance(step_run, OfflineRun)
    assert step_run.id == "step-run-42"
    assert step_run.parent is not None
    assert step_run.parent.id == "pipeline-run-7"
    assert step_run.experiment.name == "iris_dag"
    assert step_run.parent.experiment.name == "iris_dag"


def test_step_run_without_parent(monkeypatch: pytest.MonkeyPatch, metrics_file: Path) -> None:
    monkeypatch.setenv("MLPIPELINES_RUN_ID", "solo")
    monkeypatch.delenv("MLPIPELINES_PARENT_RUN_ID", raising=False)
    monkeypatch.setenv("MLPIPELINES_METRICS_FILE", str(metrics_file))
    assert Run.get_context().parent is None


def test_step_run_writes_json_lines(step_run: Run, metrics_file: Path) -> None:
    step_run.log("accuracy", 0.9)
    step_run.log_row("row", x=1)
    lines = metrics_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["name"] for r in records] == ["accuracy", "row"]
    assert records[0]["value"] == 0.9


def test_read_metrics_folds_the_step_file(step_run: Run, metrics_file: Path) -> None:
    step_run.log("once", 0.5)
    step_run.log("twice", 1)
    step_run.log("twice", 2)
    step_run.log_list("single_list", [7])
    step_run.log_list("curve", [0.3, 0.2, 0.1])
    step_run.log_row("table", epoch=1, loss=0.4)
    step_run.log_row("table", epoch=2, loss=0.3)
    step_run.log_row("one_row", k="v")
    expected = {
        "once": 0.5,
        "twice": [1, 2],
        "single_list": [7],
        "curve": [0.3, 0.2, 0.1],
        "table": [{"epoch": 1, "loss": 0.4}, {"epoch": 2, "loss": 0.3}],
        "one_row": [{"k": "v"}],
    }
    assert read_metrics(metrics_file) == expected
    assert step_run.get_metrics() == expected
    assert step_run.get_metrics("once") == {"once": 0.5}


def test_numpy_values_become_plain_numbers(step_run: Run, metrics_file: Path) -> None:
    step_run.log("f", np.float64(0.25))
    step_run.log("i", np.int64(3))
    step_run.log("b", np.bool_(True))
    step_run.log_list("arr", np.array([1, 2]))
    step_run.log_row("row", n=np.int32(5))
    metrics = read_metrics(metrics_file)
    assert metrics == {"f": 0.25, "i": 3, "b": True, "arr": [1, 2], "row": [{"n": 5}]}
    assert type(metrics["f"]) is float
    assert type(metrics["i"]) is int
    assert type(metrics["b"]) is bool
    assert [type(v) for v in metrics["arr"]] == [int, int]


def test_read_metrics_without_file(tmp_path: Path) -> None:
    assert read_metrics(tmp_path / "nothing.jsonl") == {}


def test_old_path_run_is_the_same_class() -> None:
    assert OldPathRun is mlpipelines.Run is Run
