"""A source_directory script reaches Databricks as its snapshot on DBFS: uploaded once per
digest, in blocks when big; through the real DatabricksHook against the stand-in."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.databricks.hooks.databricks import DatabricksHook

from mlpipelines import DatabricksStep, Pipeline, Workspace
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.databricks import run_databricks_step
from mlpipelines.runtime.dbfs_snapshot import snapshot_folder, upload_snapshot
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import take_snapshot
from support.databricks_jobs_api import JobsApiStandIn

CONN_ID = "databricks_test"


def _run_script(source: Path) -> dict[str, Any]:
    step = DatabricksStep(
        name="script",
        python_script_name="job.py",
        source_directory=str(source),
        existing_cluster_id="c-1",
        compute_target=CONN_ID,
        allow_reuse=False,
    )
    definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
    ctx = StepContext(
        "dbfs", f"manual__{uuid.uuid4().hex[:8]}", "script", {}, lambda producer, name: None
    )
    run_databricks_step(definition, ctx, DatabricksHook(CONN_ID, retry_limit=1), 0.05)
    return definition


def _uploads(api: JobsApiStandIn) -> list[tuple[str, str]]:
    return [c for c in api.calls if c[1] in ("dbfs/put", "dbfs/create", "dbfs/add-block")]


def test_snapshot_is_uploaded_once_and_ignored_files_stay_home(jobs_api: JobsApiStandIn, tmp_path):
    (tmp_path / "job.py").write_text("import lib.util\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("X = 1\n")
    (tmp_path / "secret.env").write_text("TOKEN=1\n")
    (tmp_path / ".amlignore").write_text("*.env\n")
    folder = snapshot_folder(take_snapshot(tmp_path))

    _run_script(tmp_path)

    [task] = jobs_api.submitted[0]["tasks"]
    assert task["spark_python_task"]["python_file"] == f"dbfs:{folder}/job.py"
    assert jobs_api.dbfs[f"{folder}/lib/util.py"] == b"X = 1\n"
    assert f"{folder}/secret.env" not in jobs_api.dbfs
    assert f"{folder}.complete" in jobs_api.dbfs
    assert len(_uploads(jobs_api)) == len(take_snapshot(tmp_path).files) + 1

    jobs_api.calls.clear()
    _run_script(tmp_path)

    assert _uploads(jobs_api) == [], "the same digest is on DBFS already"
    assert ("GET", "dbfs/get-status") in jobs_api.calls
    assert len(jobs_api.submitted) == 2


def test_big_files_go_in_blocks(jobs_api: JobsApiStandIn, tmp_path):
    (tmp_path / "job.py").write_text("print(1)\n")
    model = bytes(range(256)) * (10 * 1024)  # 2.5 MB: over the 1 MB put limit
    (tmp_path / "weights.bin").write_bytes(model)
    snapshot = take_snapshot(tmp_path)

    folder, uploaded = upload_snapshot(DatabricksHook(CONN_ID, retry_limit=1), snapshot)

    assert uploaded == 2
    assert jobs_api.dbfs[f"{folder}/weights.bin"] == model
    assert jobs_api.calls.count(("POST", "dbfs/add-block")) == 3
    assert jobs_api.calls.count(("POST", "dbfs/close")) == 1


def test_a_file_changed_since_the_snapshot_is_refused(jobs_api: JobsApiStandIn, tmp_path):
    (tmp_path / "job.py").write_text("print(1)\n")
    snapshot = take_snapshot(tmp_path)
    (tmp_path / "job.py").write_text("print(2)\n")

    with pytest.raises(StepRunError, match=r"job\.py changed"):
        upload_snapshot(DatabricksHook(CONN_ID, retry_limit=1), snapshot)

    assert f"{snapshot_folder(snapshot)}.complete" not in jobs_api.dbfs
