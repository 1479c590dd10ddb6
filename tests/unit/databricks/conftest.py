"""A Jobs API stand-in per test module, reachable as the Airflow connection ``databricks_test``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from support.databricks_jobs_api import JobsApiStandIn

CONN_ID = "databricks_test"
CONN_ENV = "AIRFLOW_CONN_DATABRICKS_TEST"


@pytest.fixture(scope="module")
def jobs_api_server() -> Iterator[JobsApiStandIn]:
    api = JobsApiStandIn().start()
    before = os.environ.get(CONN_ENV)
    os.environ[CONN_ENV] = json.dumps(
        {
            "conn_type": "databricks",
            "host": "127.0.0.1",
            "port": api.port,
            "schema": "http",
            "password": api.token,
        }
    )
    try:
        yield api
    finally:
        api.stop()
        if before is None:
            os.environ.pop(CONN_ENV, None)
        else:
            os.environ[CONN_ENV] = before


@pytest.fixture
def jobs_api(jobs_api_server: JobsApiStandIn) -> JobsApiStandIn:
    """The module's stand-in, with no runs and default outcomes for this test."""
    jobs_api_server.reset()
    return jobs_api_server
