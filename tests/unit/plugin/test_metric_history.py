"""A pipeline's metrics across runs: numbers only, reused steps' metrics count for the run
that reused them, and parameters that are numbers are offered as a chart's x axis."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from mlpipelines.plugin.metric_history import metric_history, numeric
from mlpipelines.plugin.run_summary import RunRecord


def test_numeric_values():
    assert numeric(3) == 3.0
    assert numeric(0.5) == 0.5
    assert numeric([0.9, 0.7, 0.4]) == 0.4  # logged once per epoch: the last
    for not_a_number in (True, "0.5", None, [], {"a": 1}, math.nan, math.inf, ["x"]):
        assert numeric(not_a_number) is None, not_a_number


def run(run_id: str, alpha, accuracy, reused_from: str | None = None) -> RunRecord:
    xcoms: dict = {("prepare", "metrics"): {"rows": 150, "note": "text"}}
    if reused_from:
        xcoms[("mlpipelines_reuse", "reuse")] = {
            "decisions": {"train": {"decision": "reuse", "detail": ""}},
            "reused": {
                "train": {
                    "metrics": {"accuracy": accuracy},
                    "outputs": {},
                    "run_id": reused_from,
                    "key": "k",
                }
            },
        }
    else:
        xcoms[("train", "metrics")] = {"accuracy": accuracy}
    return RunRecord(
        "demo",
        run_id,
        state="success",
        start_date=datetime(2026, 12, 1, tzinfo=timezone.utc),
        conf={"alpha": alpha},
        params={"alpha": 1.0, "name": "x"},
        xcoms=xcoms,
    )


def test_history_has_one_point_per_run_with_reused_metrics():
    history = metric_history(
        "demo", [run("r1", 0.5, 0.8), run("r2", 1.5, 0.9), run("r3", 1.5, 0.9, reused_from="r2")]
    )
    assert history["metrics"] == ["prepare/rows", "train/accuracy"]
    assert history["params"] == ["alpha"]  # "name" is text: no axis
    assert [p["metrics"]["train/accuracy"] for p in history["runs"]] == [0.8, 0.9, 0.9]
    assert [p["params"]["alpha"] for p in history["runs"]] == [0.5, 1.5, 1.5]
    assert history["runs"][0]["start_date"] == "2026-12-01T00:00:00+00:00"


def test_history_of_no_runs_is_empty():
    assert metric_history("demo", []) == {"dag_id": "demo", "runs": [], "metrics": [], "params": []}


def test_metrics_logged_on_the_pipeline_run_are_charted_by_name():
    record = run("r1", 0.5, 0.8)
    record.xcoms[("train", "metrics")] = {
        "loss": 0.3,
        "mlpipelines.pipeline_metrics": {"best_accuracy": 0.8, "model": "svc"},
    }
    record.xcoms[("prepare", "metrics")]["mlpipelines.pipeline_metrics"] = {"best_accuracy": 0.7}
    history = metric_history("demo", [record])
    (point,) = history["runs"]
    assert point["metrics"]["train/loss"] == 0.3
    assert point["metrics"]["best_accuracy"] == 0.8, "logged by two steps: the later one"
    assert (
        "model" not in point["metrics"]
        and "train/mlpipelines.pipeline_metrics" not in point["metrics"]
    )
