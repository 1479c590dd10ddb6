"""A local Airflow for one benchmark run, and the wall time of a DAG run as Airflow saw it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from mlpipelines.cli.local_airflow import LocalAirflow
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.model.workspace import Workspace


@contextlib.contextmanager
def running_airflow(home: Path, dags: Path) -> Iterator[AirflowApi]:
    """Start a local Airflow on ``dags``, yield its REST client, stop it afterwards."""
    local = LocalAirflow(home, dags)
    api = AirflowApi.from_workspace(Workspace.from_config(local.up(log=lambda *_: None)))
    try:
        yield api
    finally:
        api.close()
        local.down(log=lambda *_: None)


def run_seconds(run: dict) -> float:
    """Start to end of a finished DAG run, from Airflow's own timestamps."""
    start = datetime.fromisoformat(run["start_date"])
    end = datetime.fromisoformat(run["end_date"])
    return (end - start).total_seconds()
