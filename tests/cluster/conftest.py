"""One distributed Airflow per test session, started as a user starts it (``scripts/cluster.sh
up``) in a temp dir and stopped (``down``) after the last cluster test, also on failure."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.model.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SH = REPO / "scripts" / "cluster.sh"
HERE = Path(__file__).resolve().parent
UP_TIMEOUT_SECONDS = 900


def cluster_sh(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLUSTER_SH), *args], capture_output=True, text=True, timeout=timeout, check=True
    )


@dataclass
class Cluster:
    """A running cluster: its REST client (built from the client's config.json alone), its
    folder and what ``up`` recorded in cluster.json."""

    api: AirflowApi
    dir: Path
    state: dict[str, Any]
    up_seconds: float
    _stopped: bool = field(default=False, repr=False)

    def home(self, component: str) -> Path:
        return Path(self.state["homes"][component])

    def deploy(self, *sources: Path) -> None:
        """Copy DAG files or folders into every component's dags folder (``cluster.sh dags``)."""
        cluster_sh("dags", str(self.dir), *(str(s) for s in sources), timeout=120)

    def run(
        self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 300
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Trigger through REST, wait, and return the run and its task instances by task id."""
        self.api.wait_for_dag(dag_id, timeout=120)
        run = self.api.trigger(dag_id, conf or {})
        final = self.api.wait_for_run(dag_id, run["dag_run_id"], timeout=timeout)
        tis = {ti["task_id"]: ti for ti in self.api.task_instances(dag_id, run["dag_run_id"])}
        return final, tis

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, expect: str, timeout: float = 60
    ) -> str:
        """A finished task's log once it holds ``expect``: a worker uploads the log to Azurite
        just after the task's state is final, so the first read may find it missing."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.api.task_log(dag_id, run_id, task_id)
            if expect in text or time.monotonic() > deadline:
                return text
            time.sleep(1.0)

    def blobs(self, container: str) -> dict[str, int]:
        """Every blob of an Azurite container, name to size."""
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(
            self.state["datastore"]["connection_string"]
        )
        return {b.name: b.size for b in service.get_container_client(container).list_blobs()}

    def worker_of(self, hostname: str) -> str:
        """The worker component (``worker-1``) whose tasks show ``hostname``."""
        return next(w for w, name in self.state["workers"].items() if name == hostname)

    def kill_worker(self, worker: str) -> None:
        """SIGKILL a worker's whole process group (the Celery worker, its task supervisors and
        the steps' scripts), as a machine that dies would lose them."""
        pgid = self.state["pids"][worker]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def stop(self) -> None:
        """``cluster.sh down``; a second call does nothing."""
        if not self._stopped:
            self._stopped = True
            self.api.close()
            cluster_sh("down", str(self.dir), timeout=180)


_running: list[Cluster] = []


def _process_logs(folder: Path) -> str:
    return "".join(
        f"\n--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
        for p in sorted((folder / "logs").glob("*.log"))
    )


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if os.geteuid() != 0:
        pytest.skip("cluster.sh needs root: Postgres runs as its own user, workers get host names")
    # Under /tmp, not pytest's 0700 tree: the postgres user must reach DIR/postgres.
    folder = Path(tempfile.mkdtemp(prefix="mlp-cluster-"))
    started = time.monotonic()
    try:
        cluster_sh("up", str(folder), timeout=UP_TIMEOUT_SECONDS)
    except subprocess.CalledProcessError as exc:
        logs = _process_logs(folder)
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"cluster.sh up failed: {exc.stdout}{exc.stderr}{logs}")
    up_seconds = time.monotonic() - started
    state = json.loads((folder / "cluster.json").read_text())
    config = folder / "client" / "config.json"
    assert set(json.loads(config.read_text())) == {"airflow_url", "token"}
    api = AirflowApi.from_workspace(Workspace.from_config(config))
    made = Cluster(api, folder, state, up_seconds)
    _running.append(made)
    try:
        yield made
    finally:
        made.stop()
        _running.remove(made)
        shutil.rmtree(folder, ignore_errors=True)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the cluster once the last test of this folder ran, not at the end of the session:
    idle, it still takes a fifth of a core from the tests that follow on a two-core machine."""
    if nextitem is None or HERE not in Path(str(nextitem.path)).parents:
        for running in _running:
            running.stop()
