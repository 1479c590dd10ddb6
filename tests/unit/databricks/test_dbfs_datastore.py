"""A DBFS datastore as Azure ML has it: registered by name only, usable by a DatabricksStep
(its data reach the job as dbfs:/ paths), refused for every other step when defined."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.data import DataReference
from mlpipelines.azureml.exceptions import UserErrorException
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import (
    DatabricksStep,
    DataTransferStep,
    PythonScriptStep,
)
from mlpipelines.errors import PipelineValidationError
from mlpipelines.runtime.databricks import spark_uri
from mlpipelines.storage.connections import location_from_connection
from mlpipelines.storage.registration import registration_body

CLUSTER = {"spark_version": "15.4.x-scala2.12", "node_type": "Standard_DS3_v2", "num_workers": 1}


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(home=str(tmp_path / "home"))


def test_dbfs_data_is_for_databricks_steps_only(ws, tmp_path):
    dbfs = Datastore.register_dbfs(ws, "dbfs_store")
    assert Datastore.get(ws, "dbfs_store").datastore_type == "DBFS"
    raw = DataReference(dbfs, "raw", "raw/sales")
    scored = PipelineData("scored", datastore=dbfs)
    spark = DatabricksStep(
        name="score", notebook_path="/Shared/score", inputs=[raw], outputs=[scored],
        compute_target="databricks_test", run_name="score", **CLUSTER,
    )  # fmt: skip
    Pipeline(ws, [spark]).validate()

    (tmp_path / "use.py").write_text("print(1)\n")
    script = PythonScriptStep(
        name="use", script_name="use.py", source_directory=str(tmp_path),
        arguments=["--in", scored], inputs=[scored],
    )  # fmt: skip
    copy = DataTransferStep("copy", DataReference(ws.get_default_datastore(), "x", "x"),
                            DataReference(dbfs, "out", "out"))  # fmt: skip
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, [spark, script, copy]).validate()
    assert info.value.kinds.count("dbfs_outside_databricks") == 2
    message = str(info.value)
    assert "step 'use': PipelineData 'scored' is on DBFS datastore 'dbfs_store'" in message
    assert "step 'copy': DataReference 'out'" in message
    assert "only a DatabricksStep can read or write DBFS" in message


def test_dbfs_paths_reach_spark_as_dbfs_uris_and_workers_never_open_them(ws, tmp_path):
    for prefix, expected in ((None, "dbfs:/raw/sales"), ("team", "dbfs:/team/raw/sales")):
        body = registration_body("dbfs", "dbfs_store", prefix=prefix)
        location = location_from_connection("dbfs_store", SimpleNamespace(**body))
        assert spark_uri(location, "raw/sales") == expected
        assert location.uri("raw/sales") == expected
    store = Datastore.register_dbfs(ws, "dbfs_only")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(Exception, match="only a DatabricksStep can read or write a DBFS"):
        store.upload_files([str(tmp_path / "f.txt")], show_progress=False)
    with pytest.raises(UserErrorException, match="cannot be a conn_id"):
        Datastore.register_dbfs(ws, "bad name")
