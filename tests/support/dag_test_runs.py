"""Run a DAG file's ``dag.test()`` in a fresh interpreter (as Airflow's own process would
load it) against the Databricks stand-in, and read back what each run ended as."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.databricks_jobs_api import JobsApiStandIn

RESULT = "RESULT "


def databricks_connection(api: JobsApiStandIn) -> str:
    """The ``AIRFLOW_CONN_<ID>`` value reaching the stand-in through the real hook."""
    return json.dumps(
        {
            "conn_type": "databricks",
            "host": "127.0.0.1",
            "port": api.port,
            "schema": "http",
            "password": api.token,
        }
    )


def run_script(
    script: str, dags: Path, env: dict[str, str], expected_runs: int
) -> list[dict[str, Any]]:
    """Run ``script`` (given the dags folder as argv[1]); the ``RESULT {...}`` lines it
    printed, one per DAG run, checked to number ``expected_runs``."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(dags)],
        env={**env, "AIRFLOW__CORE__DAGS_FOLDER": str(dags)},
        text=True,
        capture_output=True,
        timeout=300,
    )
    results = [
        json.loads(line[len(RESULT) :])
        for line in done.stdout.splitlines()
        if line.startswith(RESULT)
    ]
    assert len(results) == expected_runs, done.stdout[-3000:] + done.stderr[-3000:]
    return results
