"""Migrated Azure ML code on the real Airflow: a pipeline file that never names Airflow is
parsed and runs (triggered with a run id the client chose), and Databricks attaches as the
sample does, by resource group and workspace name, with the host of an existing connection."""

from __future__ import annotations

import json

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.core.compute import ComputeTarget, DatabricksCompute
from mlpipelines.model.compute_registry import read_record

pytestmark = pytest.mark.e2e


def test_a_pipeline_file_that_never_names_airflow_is_found_and_runs(airflow):
    source = (airflow.dags / "e2e_migrated.py").read_text().lower()
    assert "airflow" not in source, "the point of the test: Airflow's own rule would skip it"

    run, tis = airflow.run("e2e_migrated")
    assert run["state"] == "success", tis
    assert run["dag_run_id"].startswith("manual__")
    received = airflow.output_path("e2e_migrated", run["dag_run_id"], "echo", "echoed")
    assert json.loads((received / "received.json").read_text())["argv"][0] == "migrated"


def test_databricks_attaches_with_the_host_of_an_existing_connection(airflow, monkeypatch):
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    api = airflow.api
    api.request("DELETE", "/api/v2/connections/databricks_default")
    api.call(
        "POST",
        "/api/v2/connections",
        json={
            "connection_id": "databricks_default",
            "conn_type": "databricks",
            "host": "adb-7.3.azuredatabricks.net",
            "schema": "https",
        },
    )
    ws = Workspace.from_config(airflow.home / "config.json")
    try:
        config = DatabricksCompute.attach_configuration(
            resource_group="my-rg", workspace_name="my-dbx", access_token="dapi-e2e-sample"
        )
        target = ComputeTarget.attach(ws, "dbx_sample", config)
        connection = api.call("GET", "/api/v2/connections/dbx_sample")
        assert (connection["conn_type"], connection["host"], connection["schema"]) == (
            "databricks",
            "adb-7.3.azuredatabricks.net",
            "https",
        )
        record = read_record("dbx_sample", ws)
        assert record is not None and "dapi-e2e-sample" not in json.dumps(record)
        target.delete()
    finally:
        api.request("DELETE", "/api/v2/connections/databricks_default")
