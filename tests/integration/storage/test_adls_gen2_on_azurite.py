"""ADLS Gen2 as the AML data-transfer sample registers it, on Azurite (a blob account, as a
Gen2 account is one with a hierarchical namespace): files go up, come back, and copy."""

from __future__ import annotations

import uuid

import pytest

from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.data import DataReference
from mlpipelines.azureml.exceptions import UserErrorException
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import DataTransferStep
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.data_transfer import run_data_transfer_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value
from support.storage_fixtures import unique

pytestmark = pytest.mark.integration


def test_a_gen2_filesystem_registers_uploads_downloads_and_receives_a_copy(
    azurite, tmp_path, monkeypatch
):
    ws = Workspace(home=str(tmp_path / "home"))
    filesystem = unique("lake")
    azurite.server.create_container(filesystem)
    try:
        lake = Datastore.get(ws, "adlsgen2")
    except UserErrorException:
        lake = Datastore.register_azure_data_lake_gen2(
            workspace=ws, datastore_name="adlsgen2", filesystem=filesystem,
            connection_string=azurite.server.connection_string,
        )  # fmt: skip
    assert lake.datastore_type == "AzureDataLakeGen2"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("x\n1\n")
    lake.upload(str(tmp_path / "in"), target_path="raw", show_progress=False)
    assert lake.location.uri("raw/a.csv") == f"abfs://{filesystem}/raw/a.csv"
    assert lake.download(str(tmp_path / "out"), prefix="raw", show_progress=False) == 1
    assert (tmp_path / "out" / "raw" / "a.csv").read_text() == "x\n1\n"

    body = ws.registered_connections["adlsgen2"]
    monkeypatch.setenv(environment_name("adlsgen2"), environment_value(body))
    datastores._opened.cache_clear()
    copy = DataTransferStep(
        "to_copy", DataReference(lake, "raw", "raw"), DataReference(lake, "copy", "copied")
    )
    (task,) = plan_pipeline(Pipeline(ws, [copy])).tasks
    run = f"r{uuid.uuid4().hex[:6]}"
    result = run_data_transfer_step(task.definition, StepContext("g2", run, "to_copy", {},
                                                                 lambda *_: None))  # fmt: skip
    assert result.outputs["destination"].uri == f"abfs://{filesystem}/copied"
    assert lake.location.fs.cat_file(lake.location.path("copied/a.csv")) == b"x\n1\n"
    datastores._opened.cache_clear()
