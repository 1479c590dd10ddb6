"""Compute targets registered through Airflow's REST API: a one-node cluster is a pool that
runs its steps one at a time; a Databricks workspace is a connection; both can be deleted."""

from __future__ import annotations

import json

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget, DatabricksCompute
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.client.airflow_api import AirflowApiError
from mlpipelines.model.compute_registry import read_record

pytestmark = pytest.mark.e2e

TIMED = """
import json, os, sys, time
start = time.time()
time.sleep(2)
with open(os.path.join(sys.argv[1], "span.json"), "w") as sink:
    json.dump([start, time.time()], sink)
"""


def test_a_one_node_cluster_runs_its_steps_one_at_a_time(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    cluster = ComputeTarget.create(
        ws, "one-node", AmlCompute.provisioning_configuration(vm_size="D2", max_nodes=1)
    )
    assert airflow.api.call("GET", "/api/v2/pools/one-node")["slots"] == 1
    assert "one-node" in ws.compute_targets

    (tmp_path / "timed.py").write_text(TIMED)
    outputs = [PipelineData(f"span{i}") for i in range(2)]
    steps = [
        PythonScriptStep(
            name=f"timed{i}",
            script_name="timed.py",
            source_directory=str(tmp_path),
            arguments=[out],
            outputs=[out],
            compute_target=cluster,
            allow_reuse=False,
        )
        for i, out in enumerate(outputs)
    ]
    run = Experiment(ws, "one_node_cluster").submit(Pipeline(ws, steps))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    tis = {ti["task_id"]: ti for ti in airflow.api.task_instances(run.dag_id, run.id)}
    assert tis["timed0"]["pool"] == tis["timed1"]["pool"] == "one-node"
    spans = sorted(
        json.loads(
            (
                airflow.output_path(run.dag_id, run.id, f"timed{i}", f"span{i}") / "span.json"
            ).read_text()
        )
        for i in range(2)
    )
    assert spans[0][1] <= spans[1][0], f"the two steps overlapped: {spans}"

    ComputeTarget(ws, "one-node").delete()
    with pytest.raises(AirflowApiError) as gone:
        airflow.api.call("GET", "/api/v2/pools/one-node")
    assert gone.value.status_code == 404
    assert "one-node" not in ws.compute_targets


def test_attaching_databricks_makes_a_connection_and_keeps_the_token_out_of_records(airflow):
    ws = Workspace.from_config(airflow.home / "config.json")
    config = DatabricksCompute.attach_configuration(
        host="http://127.0.0.1:8555", access_token="dapi-secret-token"
    )
    target = ComputeTarget.attach(ws, "dbx_e2e", config)
    assert isinstance(ComputeTarget(ws, "dbx_e2e"), DatabricksCompute)
    assert target.type == "Databricks"
    connection = airflow.api.call("GET", "/api/v2/connections/dbx_e2e")
    assert (connection["conn_type"], connection["host"], connection["port"]) == (
        "databricks",
        "127.0.0.1",
        8555,
    )
    assert connection["schema"] == "http"
    record = read_record("dbx_e2e", ws)
    assert record is not None and "dapi-secret-token" not in json.dumps(record)
    target.delete()
    with pytest.raises(AirflowApiError):
        airflow.api.call("GET", "/api/v2/connections/dbx_e2e")
