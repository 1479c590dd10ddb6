"""An Airflow home with a migrated SQLite DB and a copy of the example dags, for tests that run
Airflow machinery (DagBag, dag.test, the airflow CLI) in subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.databricks_jobs_api import JobsApiStandIn

REPO = Path(__file__).resolve().parents[2]


@dataclass
class AirflowHome:
    home: Path
    dags: Path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
            }
        )
        return env

    def python(self, code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    home = tmp_path_factory.mktemp("airflow-integration")
    dags = home / "dags"
    shutil.copytree(REPO / "dags", dags)
    prepared = AirflowHome(home, dags)
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        env=prepared.env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return prepared


@pytest.fixture
def jobs_api() -> Iterator[JobsApiStandIn]:
    """A Databricks Jobs / Statement Execution API stand-in of this test alone."""
    api = JobsApiStandIn().start()
    try:
        yield api
    finally:
        api.stop()
