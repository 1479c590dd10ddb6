"""A run as the pipeline view shows it, from plain records: which tasks are steps, where a
reused step's metrics and outputs come from, the order of the rows, parameters and git."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mlpipelines.plugin.run_summary import (
    RunRecord,
    effective_params,
    is_step,
    output_references,
    run_summary,
    step_decisions,
)

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def ref(path: str) -> dict:
    return {
        "datastore": "workspaceblobstore",
        "path": path,
        "uri": f"file:///x/{path}",
        "store": {"name": "workspaceblobstore"},
        "fingerprint": "blake3:ab",
    }


def ti(task_id: str, state: str, start: int | None = None, duration: float | None = None) -> dict:
    started = T0 + timedelta(seconds=start) if start is not None else None
    return {
        "task_id": task_id,
        "state": state,
        "start_date": started,
        "end_date": started,
        "duration": duration,
        "map_index": -1,
        "try_number": 1,
    }


def partly_reused_run() -> RunRecord:
    """prepare reused by the sensor; train ran; score reused by itself after train ran."""
    sensor = {
        "decisions": {
            "prepare": {"decision": "reuse", "detail": "reused from run r1 (key k1)"},
            "train": {"decision": "run", "detail": "runs: param alpha changed from 1 to 2"},
            "score": {"decision": "later", "detail": "decided when it starts: train runs first"},
        },
        "reused": {
            "prepare": {
                "outputs": {"prepared": ref("pipelinedata/r1/prepared")},
                "metrics": {"rows": 150},
                "dag_id": "demo",
                "run_id": "r1",
                "key": "k1",
            },
        },
    }
    return RunRecord(
        dag_id="demo",
        run_id="r3",
        state="success",
        start_date=T0,
        end_date=T0 + timedelta(seconds=42),
        conf={
            "alpha": 2,
            "mlpipelines_git": {
                "repository": "repo",
                "branch": "main",
                "commit": "abc",
                "dirty": False,
            },
            "mlpipelines_spec_digest": "d",
        },
        params={"alpha": 1, "rows": 100, "regenerate_outputs": False},
        task_instances=[
            ti("score", "skipped", 30),
            ti("train", "success", 10, 12.5),
            ti("prepare", "skipped", 1),
            ti("mlpipelines_reuse", "success", 0, 1.0),
        ],
        xcoms={
            ("mlpipelines_reuse", "reuse"): sensor,
            ("train", "metrics"): {"accuracy": 0.9, "loss": [0.5, 0.3]},
            ("train", "output_model"): ref("pipelinedata/r3/model"),
            ("train", "reuse_decision"): {
                "decision": "run",
                "detail": "runs: param alpha changed from 1 to 2",
                "key": "k2",
            },
            ("score", "metrics"): {"auc": 0.8},
            ("score", "output_scores"): ref("pipelinedata/r2/scores"),
            ("score", "reuse_decision"): {
                "decision": "reuse",
                "detail": "reused from run r2 (key k3)",
                "key": "k3",
                "run_id": "r2",
                "dag_id": "demo",
                "task_id": "score",
            },
        },
    )


def test_helper_tasks_are_not_steps():
    assert is_step("train")
    assert is_step("ml.train")
    for helper in (
        "mlpipelines_reuse",
        "ml.mlpipelines_reuse",
        "ml.done",
        "digits__plan",
        "digits__run",
        "digits__parallel_run.digits__plan",
    ):
        assert not is_step(helper), helper


def test_rows_follow_the_plan_and_say_where_reused_results_came_from():
    summary = run_summary(partly_reused_run(), ui_base="/airflow")
    rows = {row["task_id"]: row for row in summary["steps"]}
    assert [row["task_id"] for row in summary["steps"]] == ["prepare", "train", "score"]

    prepare = rows["prepare"]
    assert prepare["reused"] is True
    assert prepare["status"] == "Finished"
    assert prepare["reused_from"]["run_id"] == "r1"
    assert prepare["reused_from"]["url"] == "/airflow/dags/demo/runs/r1"
    assert prepare["reused_from"]["task_url"] == "/airflow/dags/demo/runs/r1/tasks/prepare"
    assert prepare["metrics"] == {"rows": 150}
    assert prepare["outputs"][0]["path"] == "pipelinedata/r1/prepared"
    assert prepare["duration"] is None  # it did not run
    assert prepare["explanation"] == "reused from run r1 (key k1)"

    train = rows["train"]
    assert train["reused"] is False and train["reused_from"] is None
    assert train["duration"] == 12.5
    assert train["metrics"] == {"accuracy": 0.9, "loss": [0.5, 0.3]}
    assert [o["name"] for o in train["outputs"]] == ["model"]
    assert train["explanation"] == "runs: param alpha changed from 1 to 2"
    assert train["url"] == "/airflow/dags/demo/runs/r3/tasks/train"

    # Reused by its own check after its upstream ran: the step's own decision wins over the
    # sensor's "later".
    score = rows["score"]
    assert score["reused"] is True
    assert score["decision"] == "reuse"
    assert score["reused_from"]["run_id"] == "r2"
    assert score["metrics"] == {"auc": 0.8}
    assert output_references(partly_reused_run(), "score")["scores"]["path"].endswith("scores")


def test_run_facts_parameters_and_git():
    summary = run_summary(partly_reused_run())
    assert summary["status"] == "Finished"
    assert summary["duration"] == 42.0
    assert summary["params"] == {"alpha": 2, "rows": 100, "regenerate_outputs": False}
    assert summary["git"]["commit"] == "abc"
    assert summary["url"] == "/dags/demo/runs/r3"


def test_a_run_id_with_reserved_characters_is_quoted_in_links():
    record = RunRecord("demo", "manual__2026-12-01T10:00:00+00:00")
    assert run_summary(record)["url"] == "/dags/demo/runs/manual__2026-12-01T10%3A00%3A00%2B00%3A00"


def test_a_failed_run_canceled_by_the_client_says_canceled():
    record = RunRecord("demo", "r", state="failed", note="Canceled by admin")
    assert run_summary(record)["status"] == "Canceled"


def test_sensor_decisions_inside_a_task_group_are_found():
    record = RunRecord(
        "host",
        "r",
        xcoms={
            ("ml.mlpipelines_reuse", "reuse"): {
                "decisions": {"ml.a": {"decision": "reuse", "detail": "d"}},
                "reused": {"ml.a": {"outputs": {}, "metrics": {}, "run_id": "r0", "key": "k"}},
            }
        },
    )
    decisions = step_decisions(record)
    assert decisions["ml.a"]["decision"] == "reuse"
    assert decisions["ml.a"]["run_id"] == "r0"


def test_conf_keys_of_mlpipelines_are_not_parameters():
    record = RunRecord("d", "r", conf={"mlpipelines_published_id": "x", "a": 1}, params={"a": 0})
    assert effective_params(record) == {"a": 1}
