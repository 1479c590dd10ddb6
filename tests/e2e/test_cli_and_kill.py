"""The CLI against the running Airflow, and a step killed while it writes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.e2e


def test_cli_trigger_waits_and_reports_steps_and_metrics(airflow):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlpipelines.cli.main",
            "trigger",
            "hello_pipeline",
            "--config",
            str(airflow.home / "config.json"),
            "--param",
            "greeting=Ahoy",
            "--wait",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Finished" in done.stdout
    assert "message_length=11" in done.stdout
    assert airflow.api.base_url + "/dags/hello_pipeline/runs/" in done.stdout


def test_cli_trigger_reports_a_refused_parameter(airflow):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlpipelines.cli.main",
            "trigger",
            "e2e_arguments",
            "--config",
            str(airflow.home / "config.json"),
            "--param",
            "count=many",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "count" in done.stderr


def test_cli_status_names_the_running_airflow(airflow):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlpipelines.cli.main",
            "airflow",
            "status",
            "--home",
            str(airflow.home),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert airflow.api.base_url in done.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_killed_step_leaves_no_output_and_no_process(airflow, tmp_path):
    pid_file = tmp_path / "hang.pid"
    airflow.api.wait_for_dag("e2e_killed")
    run = airflow.api.trigger("e2e_killed", {"pid_file": str(pid_file)})
    run_id = run["dag_run_id"]
    deadline = time.monotonic() + 120
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.3)
    pid = int(pid_file.read_text())
    airflow.api.call(
        "PATCH",
        f"/api/v2/dags/e2e_killed/dagRuns/{quote(run_id, safe='')}/taskInstances/hang",
        json={"new_state": "failed"},
    )
    final = airflow.api.wait_for_run("e2e_killed", run_id, timeout=120)
    assert final["state"] == "failed"
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _alive(pid), "the script outlived its killed task"
    step_dir = (
        airflow.blobstore
        / "pipelinedata"
        / "e2e_killed"
        / run_id.replace(":", "_").replace("+", "_")
        / "hang"
    )
    visible = (
        [p.name for p in step_dir.iterdir() if not p.name.startswith(".")]
        if step_dir.exists()
        else []
    )
    assert visible == []
