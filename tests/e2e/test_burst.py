"""A burst of 50 concurrent run requests on the embedded Airflow (SQLite): each is answered
200 with its own run or a clean 429/503 with Retry-After and no run; a retry with the same
Idempotency-Key gets the run made for it; every run made is answered to exactly one caller;
no component dies and every run finishes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

pytestmark = [pytest.mark.e2e, pytest.mark.burst]

REQUESTS = 50
SCRIPT = "import sys\nprint('caller', sys.argv[2])\n"


def _publish(ws, folder):
    folder.mkdir()
    (folder / "note.py").write_text(SCRIPT)
    caller = PipelineParameter(name="caller", default_value="nobody")
    step = PythonScriptStep(
        name="note",
        script_name="note.py",
        source_directory=str(folder),
        arguments=["--caller", caller],
    )
    return Pipeline(ws, [step]).publish("burst_note", version="1")


def _healthy(api) -> bool:
    health = api.health()
    return all(
        (health.get(part) or {}).get("status") == "healthy"
        for part in ("metadatabase", "scheduler", "dag_processor", "triggerer")
    )


def test_fifty_concurrent_run_requests(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    published = _publish(ws, tmp_path / "burst")
    airflow.api.wait_for_dag("burst_note__v1", timeout=120)
    token = airflow.api.token()
    start = threading.Barrier(REQUESTS)

    def post(index: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"burst-{index}"}
        body = {"ParameterAssignments": {"caller": f"c{index}"}}
        start.wait()
        return httpx.post(published.endpoint, json=body, headers=headers, timeout=180)

    began = time.monotonic()
    with ThreadPoolExecutor(REQUESTS) as pool:
        answers = list(pool.map(post, range(REQUESTS)))
    burst_seconds = time.monotonic() - began

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 429, 503}, [a.text for a in answers if a.status_code >= 500]
    for refused in (a for a in answers if a.status_code != 200):
        assert int(refused.headers["Retry-After"]) > 0
        assert "no run was made" in refused.json()["detail"]
    answered = {i: a.json()["Id"] for i, a in enumerate(answers) if a.status_code == 200}
    assert len(set(answered.values())) == len(answered)
    runs = {r["dag_run_id"]: r for r in airflow.api.list_runs("burst_note__v1")}
    assert set(runs) == set(answered.values())  # each run made was answered, once
    for index, run_id in answered.items():
        assert runs[run_id]["conf"]["caller"] == f"c{index}"

    # The refused callers try again, as the Retry-After says; then every caller has one run.
    for index in (i for i in range(REQUESTS) if i not in answered):
        for _ in range(20):
            answer = post_again(published.endpoint, token, index)
            if answer.status_code == 200:
                answered[index] = answer.json()["Id"]
                break
            time.sleep(int(answer.headers.get("Retry-After", "1")))
    assert len(answered) == REQUESTS
    again = post_again(published.endpoint, token, 0)  # a retry of an answered request
    assert again.json()["Id"] == answered[0]
    runs = {r["dag_run_id"] for r in airflow.api.list_runs("burst_note__v1")}
    assert runs == set(answered.values()) and len(runs) == REQUESTS

    assert _healthy(airflow.api)
    for run_id in answered.values():
        assert airflow.api.wait_for_run("burst_note__v1", run_id, timeout=900)["state"] == (
            "success"
        )
    assert _healthy(airflow.api)
    print(
        f"\nburst of {REQUESTS}: answered in {burst_seconds:.1f} s; "
        f"{statuses.count(200)} x 200, {statuses.count(429)} x 429, {statuses.count(503)} x 503"
    )


def post_again(url: str, token: str, index: int) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"burst-{index}"}
    body = {"ParameterAssignments": {"caller": f"c{index}"}}
    return httpx.post(url, json=body, headers=headers, timeout=180)
