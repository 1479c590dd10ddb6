"""A local Airflow heals itself: a killed component is started again, the run in flight still
succeeds, `status` says what is down, and `up` repairs a deployment whose supervisor died.

This module starts its own Airflow: it kills parts of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlpipelines.cli.local_airflow import COMPONENTS_FILE, STATE_FILE
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.model.workspace import Workspace

pytestmark = pytest.mark.e2e

DAG = textwrap.dedent(
    """
    from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace

    ws = Workspace.current()
    seconds = PipelineParameter("seconds", default_value=1)
    first = PipelineData("first", datastore=ws.get_default_datastore())
    second = PipelineData("second", datastore=ws.get_default_datastore())
    slow = PythonScriptStep(
        name="slow", script_name="slow.py", source_directory="scripts",
        arguments=["--seconds", seconds, "--out", first], outputs=[first],
    )
    after = PythonScriptStep(
        name="after", script_name="slow.py", source_directory="scripts",
        arguments=["--seconds", 0, "--out", second, "--input", first],
        inputs=[first], outputs=[second],
    )
    dag = Pipeline(ws, [slow, after]).to_dag("e2e_healing")
    """
)
SCRIPT = textwrap.dedent(
    """
    import argparse, os, time

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--out")
    parser.add_argument("--input", default=None)
    args = parser.parse_args()
    time.sleep(args.seconds)
    with open(os.path.join(args.out, "done.txt"), "w") as sink:
        sink.write("slept %s" % args.seconds)
    """
)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlpipelines.cli.main", "airflow", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("airflow-healing")
    dags = home / "dags"
    (dags / "scripts").mkdir(parents=True)
    (dags / "e2e_healing.py").write_text(DAG)
    (dags / "scripts" / "slow.py").write_text(SCRIPT)
    up = _cli(home, "up", "--dags", str(dags))
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield home
    finally:
        _cli(home, "down")


def _api(home: Path) -> AirflowApi:
    return AirflowApi.from_workspace(Workspace.from_config(home / "config.json"))


def _components(home: Path) -> dict[str, dict]:
    return json.loads((home / COMPONENTS_FILE).read_text())


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_status_lists_each_component_healthy(home):
    status = _cli(home, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        row = next(line for line in status.stdout.splitlines() if line.startswith(name))
        assert row.split()[1:] == ["running", "0", "healthy"], row
    assert "all components healthy" in status.stdout


def test_a_killed_scheduler_comes_back_and_the_run_in_flight_succeeds(home):
    api = _api(home)
    try:
        api.wait_for_dag("e2e_healing", timeout=120)
        run = api.trigger("e2e_healing", {"seconds": 20})
        run_id = run["dag_run_id"]

        def slow_running():
            tis = {t["task_id"]: t for t in api.task_instances("e2e_healing", run_id)}
            return tis.get("slow", {}).get("state") == "running"

        _until(slow_running, 120, "the slow step to run")
        scheduler = _components(home)["scheduler"]["pid"]
        os.kill(scheduler, signal.SIGKILL)

        def restarted():
            seen = _components(home)["scheduler"]
            return seen["restarts"] >= 1 and seen["state"] == "running" and seen["pid"] != scheduler

        _until(restarted, 60, "the supervisor to start the scheduler again")
        final = api.wait_for_run("e2e_healing", run_id, timeout=300)
        assert final["state"] == "success"
        tis = {t["task_id"]: t for t in api.task_instances("e2e_healing", run_id)}
        assert tis["after"]["state"] == "success"
    finally:
        api.close()
    _until(lambda: _cli(home, "status").returncode == 0, 90, "status to say healthy again")
    assert "exited with" in " ".join(_components(home)["scheduler"]["events"])


def test_status_says_what_is_down_and_up_repairs_it(home):
    state = json.loads((home / STATE_FILE).read_text())
    os.kill(state["pids"][0], signal.SIGKILL)  # the supervisor; its components live on
    status = _cli(home, "status")
    assert status.returncode == 3, status.stdout
    assert "the supervisor is gone" in status.stdout

    up = _cli(home, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "half dead" in up.stdout
    again = json.loads((home / STATE_FILE).read_text())
    assert again["url"] == state["url"]  # the client's config.json stays right
    assert again["pids"][0] != state["pids"][0]
    status = _cli(home, "status")
    assert status.returncode == 0, status.stdout
    api = _api(home)
    try:
        api.wait_for_dag("e2e_healing", timeout=120)
        run = api.trigger("e2e_healing", {"seconds": 0})
        assert api.wait_for_run("e2e_healing", run["dag_run_id"], timeout=300)["state"] == (
            "success"
        )
    finally:
        api.close()
