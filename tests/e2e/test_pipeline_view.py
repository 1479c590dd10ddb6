"""The pipeline view's JSON and pages on the real Airflow, and the notes on reused steps:
a fully reused run, a partly reused one, metrics across runs, output downloads, auth."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.e2e

VIEW = "/mlpipelines/view"


def _run(airflow, dag_id: str, run_id: str) -> dict:
    return airflow.api.call("GET", f"{VIEW}/api/run", params={"dag_id": dag_id, "run_id": run_id})


def _steps(summary: dict) -> dict[str, dict]:
    return {step["task_id"]: step for step in summary["steps"]}


def test_a_fully_reused_run_names_the_run_it_reused_with_metrics_and_outputs(airflow, view_runs):
    first = view_runs.first["dag_run_id"]
    summary = _run(airflow, view_runs.dag_id, view_runs.reused["dag_run_id"])
    steps = _steps(summary)
    assert list(steps) == ["prepare", "train", "report"]  # plan order, no sensor
    assert summary["is_pipeline"] is True
    assert summary["params"]["alpha"] == 0.5
    assert summary["params"]["rows"] == 150
    for step in steps.values():
        assert step["reused"] is True, step
        assert step["state"] == "skipped"
        assert step["reused_from"]["run_id"] == first
        assert step["explanation"].startswith(f"reused from run {first}")
    assert steps["train"]["metrics"]["accuracy"] == pytest.approx(1 - 1 / 2.5, abs=1e-4)
    assert steps["train"]["metrics"]["loss"] == [0.6667, 0.4, 0.2857]
    assert [o["name"] for o in steps["train"]["outputs"]] == ["model"]
    assert steps["prepare"]["metrics"] == {"rows": 150}


def test_a_partly_reused_run_explains_each_step(airflow, view_runs):
    summary = _run(airflow, view_runs.dag_id, view_runs.partly["dag_run_id"])
    steps = _steps(summary)
    assert steps["prepare"]["reused"] is True
    assert steps["prepare"]["reused_from"]["run_id"] == view_runs.first["dag_run_id"]
    assert steps["train"]["reused"] is False
    assert steps["train"]["state"] == "success"
    assert steps["train"]["duration"] > 0
    assert "changed" in steps["train"]["explanation"], steps["train"]
    assert steps["train"]["metrics"]["accuracy"] == pytest.approx(0.75)
    # Decided when it started (after train ran), by the step itself.
    assert steps["report"]["decision"] == "run"
    assert steps["report"]["explanation"].startswith("runs: input model"), steps["report"]


def test_reused_steps_carry_a_note_naming_the_run_they_reused(airflow, view_runs):
    dag_id, run_id = view_runs.dag_id, view_runs.reused["dag_run_id"]
    first = view_runs.first["dag_run_id"]
    for task_id in ("prepare", "train", "report"):
        ti = _noted(airflow, dag_id, run_id, task_id)
        assert ti["state"] == "skipped"
        assert ti["note"].startswith("**Reused**"), ti["note"]
        assert f"[{first}](/dags/{dag_id}/runs/{_q(first)})" in ti["note"]
        assert "/plugin/pipeline-run" in ti["note"]
    train = airflow.api.call(
        "GET", f"/api/v2/dags/{dag_id}/dagRuns/{_q(run_id)}/taskInstances/train"
    )
    assert "- accuracy = 0.6" in train["note"]
    assert "- model: workspaceblobstore/" in train["note"]
    # Steps that ran carry no note; nor does the sensor.
    partly = view_runs.partly["dag_run_id"]
    for task_id in ("train", "mlpipelines_reuse"):
        ti = airflow.api.call(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{_q(partly)}/taskInstances/{task_id}"
        )
        assert ti["note"] is None, ti


def test_metrics_across_runs_for_the_charts(airflow, view_runs):
    history = airflow.api.call("GET", f"{VIEW}/api/pipeline", params={"dag_id": view_runs.dag_id})
    by_run = {r["run_id"]: r for r in history["runs"]}
    assert {"train/accuracy", "train/loss", "prepare/rows"} <= set(history["metrics"])
    assert {"alpha", "rows"} <= set(history["params"])
    first, reused, partly = (
        by_run[r["dag_run_id"]] for r in (view_runs.first, view_runs.reused, view_runs.partly)
    )
    assert first["metrics"]["train/accuracy"] == reused["metrics"]["train/accuracy"] == 0.6
    assert partly["metrics"]["train/accuracy"] == 0.75
    assert partly["metrics"]["train/loss"] == pytest.approx(1 / 5, abs=1e-4)  # the last epoch
    assert partly["params"]["alpha"] == 2.0
    ids = [r["run_id"] for r in history["runs"]]
    assert ids.index(first["run_id"]) < ids.index(reused["run_id"]) < ids.index(partly["run_id"])


def test_outputs_list_and_download_their_files(airflow, view_runs):
    # A reused step's output: the files the first run wrote.
    params = {"dag_id": view_runs.dag_id, "run_id": view_runs.reused["dag_run_id"],
              "task_id": "prepare", "output": "prepared"}  # fmt: skip
    listing = airflow.api.call("GET", f"{VIEW}/api/output/files", params=params)
    assert [f["path"] for f in listing["files"]] == ["data.csv", "parts/count.txt"]
    answer = airflow.api.request(
        "GET", f"{VIEW}/api/output/file", params={**params, "path": "parts/count.txt"}
    )
    assert answer.status_code == 200
    assert answer.content == b"150"
    assert "attachment" in answer.headers["content-disposition"]
    csv = airflow.api.request(
        "GET", f"{VIEW}/api/output/file", params={**params, "path": "data.csv"}
    )
    assert csv.text.splitlines()[:2] == ["x,y", "0,0"]
    assert len(csv.text.splitlines()) == 151

    for bad, status in (("../../../../etc/passwd", 400), ("nope.txt", 404)):
        refused = airflow.api.request(
            "GET", f"{VIEW}/api/output/file", params={**params, "path": bad}
        )
        assert refused.status_code == status, (bad, refused.text)
    unknown = airflow.api.request(
        "GET", f"{VIEW}/api/output/files", params={**params, "output": "nope"}
    )
    assert unknown.status_code == 404


def test_view_needs_a_login_and_serves_its_pages(airflow, view_runs):
    base = airflow.api.base_url
    params = {"dag_id": view_runs.dag_id, "run_id": view_runs.first["dag_run_id"]}
    with httpx.Client(base_url=base, timeout=30) as anonymous:
        assert anonymous.get(f"{VIEW}/api/run", params=params).status_code in (401, 403)
        assert anonymous.get(f"{VIEW}/run", params=params).status_code in (401, 403)
        script = anonymous.get(f"{VIEW}/static/view.js")  # no data: no login
        assert script.status_code == 200
        assert "text/javascript" in script.headers["content-type"]
        assert anonymous.get(f"{VIEW}/static/..%2Fview_urls.py").status_code == 404
    page = airflow.api.request("GET", f"{VIEW}/run", params=params)
    assert page.status_code == 200
    assert 'src="static/view.js"' in page.text
    missing = airflow.api.request(
        "GET", f"{VIEW}/api/run", params={**params, "run_id": "no_such_run"}
    )
    assert missing.status_code == 404


def test_airflow_lists_the_views_tabs(airflow):
    plugins = airflow.api.call("GET", "/api/v2/plugins")["plugins"]
    views = next(p for p in plugins if p["name"] == "mlpipelines")["external_views"]
    by_destination = {v["destination"]: v for v in views}
    assert set(by_destination) == {"dag", "dag_run", "task_instance"}
    assert by_destination["dag_run"]["href"] == f"{VIEW}/run?dag_id={{DAG_ID}}&run_id={{RUN_ID}}"
    assert "{TASK_ID}" in by_destination["task_instance"]["href"]
    assert by_destination["dag_run"]["url_route"] == "pipeline-run"


def _noted(airflow, dag_id: str, run_id: str, task_id: str, timeout: float = 10) -> dict:
    """The task instance once it has a note: notes are written just after the run's final
    state is committed."""
    path = f"/api/v2/dags/{dag_id}/dagRuns/{_q(run_id)}/taskInstances/{task_id}"
    deadline = time.monotonic() + timeout
    while (ti := airflow.api.call("GET", path))["note"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return ti


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
