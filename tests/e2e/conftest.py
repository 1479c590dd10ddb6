"""One real Airflow per test session, started the way a user starts it: `mlpipelines airflow up`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlpipelines._naming import path_safe
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.model.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
E2E_DAGS = Path(__file__).resolve().parent / "dags"


def _cli(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlpipelines.cli.main", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@dataclass
class LiveAirflow:
    """A running local Airflow: its REST client, its home and dags folders."""

    api: AirflowApi
    home: Path
    dags: Path

    @property
    def blobstore(self) -> Path:
        return self.home / "mlpipelines" / "workspaceblobstore"

    @property
    def temp(self) -> Path:
        """The temp folder of this Airflow's processes (its tasks' work folders), its own so
        a test may look at (and clean) it without touching anything else on the machine."""
        return self.home / "tmp"

    def run(
        self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 300
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Trigger through REST, wait, and return the run and its task instances by task id."""
        self.api.wait_for_dag(dag_id, timeout=120)
        run = self.api.trigger(dag_id, conf or {})
        final = self.api.wait_for_run(dag_id, run["dag_run_id"], timeout=timeout)
        tis = {ti["task_id"]: ti for ti in self.api.task_instances(dag_id, run["dag_run_id"])}
        return final, tis

    def artifact(self, dag_id: str, run_id: str, task_id: str, name: str) -> Path:
        """A step's artifact file (stdout.txt, stderr.txt, metrics.json) for one run."""
        return self.blobstore / "artifacts" / dag_id / path_safe(run_id) / task_id / name

    def xcom_values(self, dag_id: str, run_id: str, task_id: str) -> list[Any]:
        """Every XCom value one task instance pushed."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries"
        entries = self.api.call("GET", path)["xcom_entries"]
        return [self.api.xcom(dag_id, run_id, task_id, e["key"]) for e in entries]

    def files_holding(self, text: str) -> list[str]:
        """The files of its logs and of mlpipelines' folders (datastores, specs, artifacts)
        that contain ``text``: where a secret must never be written."""
        written = [p for d in ("logs", "mlpipelines") for p in (self.home / d).rglob("*")]
        return [str(p) for p in written if p.is_file() and text.encode() in p.read_bytes()]

    def output_path(self, dag_id: str, run_id: str, task_id: str, output: str) -> Path:
        ref = self.api.xcom(dag_id, run_id, task_id, f"output_{output}")
        return self.home / "mlpipelines" / ref["datastore"] / ref["path"]


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAirflow]:
    home = tmp_path_factory.mktemp("airflow-e2e")
    dags = home / "dags"
    # Without the loader DAG file, as a user's own dags folder: `airflow up` must add it.
    shutil.copytree(REPO / "dags", dags, ignore=shutil.ignore_patterns("mlpipelines_specs.py"))
    shutil.copytree(E2E_DAGS, dags, dirs_exist_ok=True)
    (home / "tmp").mkdir()
    try:
        _cli(
            "airflow",
            "up",
            "--home",
            str(home),
            "--dags",
            str(dags),
            env={**os.environ, "TMPDIR": str(home / "tmp")},
        )
    except subprocess.CalledProcessError as exc:
        logs = "".join(
            f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in (home / "logs").glob("*.log")
        )
        pytest.fail(f"airflow up failed: {exc.stdout}{exc.stderr}{logs}")
    assert (dags / "mlpipelines_specs.py").read_text() == (
        REPO / "dags" / "mlpipelines_specs.py"
    ).read_text()
    workspace = Workspace.from_config(home / "config.json")
    api = AirflowApi.from_workspace(workspace)
    try:
        yield LiveAirflow(api, home, dags)
    finally:
        api.close()
        _cli("airflow", "down", "--home", str(home), timeout=120)


@dataclass
class ViewRuns:
    """Three runs of `e2e_pipeline_view`: all steps run, all reused, `prepare` reused."""

    dag_id: str
    first: dict[str, Any]
    reused: dict[str, Any]
    partly: dict[str, Any]


@pytest.fixture(scope="session")
def view_runs(airflow: LiveAirflow) -> ViewRuns:
    """Shared by the pipeline view's REST and browser tests (each run takes seconds)."""
    dag_id = "e2e_pipeline_view"
    runs = []
    for conf in ({"alpha": 0.5, "regenerate_outputs": True}, {"alpha": 0.5}, {"alpha": 2.0}):
        run, tis = airflow.run(dag_id, conf)
        assert run["state"] == "success", tis
        runs.append(run)
    return ViewRuns(dag_id, *runs)
