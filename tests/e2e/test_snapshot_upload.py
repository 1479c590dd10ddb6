"""A client with only the Airflow URL and a token submits a pipeline: its source snapshot
goes up through the plugin's REST routes (no datastore credentials, no Airflow home), the
run uses it, and a second submit sends only the file that changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.snapshot_upload import upload_snapshot
from mlpipelines.snapshot import take_snapshot

pytestmark = pytest.mark.e2e

SCRIPT = """from mlpipelines import Run
words = open("words.txt").read().split()
Run.get_context().log("words", len(words))
Run.get_context().log("first", words[0])
"""


def _token(airflow) -> str:
    config = json.loads((airflow.home / "config.json").read_text())
    answer = httpx.post(
        f"{airflow.api.base_url}/auth/token",
        json={"username": config["username"], "password": config["password"]},
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["access_token"]


def _token_only_workspace(airflow, folder: Path, monkeypatch) -> Workspace:
    """A laptop's config: the URL and a token, no home, no datastore settings."""
    folder.mkdir()
    config = folder / "config.json"
    config.write_text(json.dumps({"airflow_url": airflow.api.base_url}))
    monkeypatch.setenv("MLPIPELINES_AIRFLOW_TOKEN", _token(airflow))  # not in a file or argv
    ws = Workspace.from_config(config)
    assert ws.uses_rest_store and ws.home is None
    return ws


def _blobs(airflow) -> set[str]:
    root = airflow.blobstore / ".mlpipelines" / "blobs"
    return {p.name for p in root.rglob("*") if p.is_file()}


def test_a_token_only_client_submits_code_that_goes_up_over_rest(airflow, tmp_path, monkeypatch):
    ws = _token_only_workspace(airflow, tmp_path / "laptop", monkeypatch)
    # Nothing of the deployment's disk: a home no Airflow ever used.
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "not-the-airflow-home"))
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "count.py").write_text(SCRIPT)
    (src / "words.txt").write_text("alpha beta gamma")
    (src / "data" / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))  # two chunks
    step = PythonScriptStep(
        name="count", script_name="count.py", source_directory=str(src), allow_reuse=False
    )
    experiment = Experiment(ws, "rest_snapshot_upload")
    before = _blobs(airflow)

    run = experiment.submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert run.find_step_run("count")[0].get_metrics() == {"words": 3, "first": "alpha"}
    first = _blobs(airflow) - before
    assert len(first) == 3, "each file's content went up once"
    snapshot = take_snapshot(src)
    folder = airflow.blobstore / ".mlpipelines" / "snapshot-files"
    assert (folder / snapshot.digest.replace(":", "-") / "data" / "big.bin").is_file()

    (src / "words.txt").write_text("delta epsilon")
    again = experiment.submit(Pipeline(ws, [step]))
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert again.find_step_run("count")[0].get_metrics() == {"words": 2, "first": "delta"}
    assert len(_blobs(airflow) - before - first) == 1, "only the changed file went up"

    api = AirflowApi.from_workspace(ws)
    try:
        repeat = upload_snapshot(api, take_snapshot(src))
    finally:
        api.close()
    assert repeat.sent == () and repeat.store.name == "workspaceblobstore"
