"""Databricks steps with data on a remote datastore (moto's S3): Spark gets the final URIs,
writes its outputs there itself, and a failed run leaves nothing behind."""

from __future__ import annotations

import uuid

import pytest
from airflow.providers.databricks.hooks.databricks import DatabricksHook

from mlpipelines import DatabricksStep, DataReference, Datastore, Pipeline, PipelineData, Workspace
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import DatastoreSpec, StepDefinition
from mlpipelines.runtime.databricks import run_databricks_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value
from support.databricks_jobs_api import JobsApiStandIn, Outcome

pytestmark = pytest.mark.integration
CLUSTER = {"spark_version": "15.4.x-scala2.12", "node_type": "Standard_DS3_v2", "num_workers": 2}


@pytest.fixture
def lake(moto_s3, monkeypatch):
    body = moto_s3.connection_body("dbx_lake")
    monkeypatch.setenv(environment_name("dbx_lake"), environment_value(body))
    datastores._opened.cache_clear()
    location = datastores.location_of(DatastoreSpec("dbx_lake", "s3"))
    location.fs.pipe_file(location.path("raw/part-0.csv"), b"a,b\n1,2\n")
    yield location
    datastores._opened.cache_clear()


def _definition(name: str) -> StepDefinition:
    ws = Workspace.current()
    raw = DataReference(Datastore(ws, "dbx_lake"), "raw", "raw")
    scored = PipelineData("scored", datastore=Datastore(ws, "dbx_lake"))
    step = DatabricksStep(
        name=name,
        notebook_path="/Shared/score",
        inputs=[raw],
        outputs=[scored],
        compute_target="databricks_test",
        run_name=name,
        allow_reuse=False,
        **CLUSTER,
    )
    return plan_pipeline(Pipeline(ws, [step])).tasks[0].definition


def _run(jobs_api: JobsApiStandIn, lake, name: str):
    definition = _definition(name)
    ctx = StepContext(
        "dbx", f"run_{uuid.uuid4().hex[:6]}", name, params={}, pull_output=lambda *_: None
    )

    def spark_writes(run_id: int, url: str) -> None:
        widgets = jobs_api.submitted[-1]["tasks"][0]["notebook_task"]["base_parameters"]
        prefix = f"s3://{lake.root.split('/')[0]}/"
        assert widgets["raw"] == f"{prefix}raw"
        out = widgets["scored"]
        assert out.startswith(f"{prefix}pipelinedata/dbx/{ctx.run_folder.split('/')[-1]}/")
        lake.fs.pipe_file(out[len("s3://") :] + "/part-0.parquet", b"PAR1...")

    hook = DatabricksHook("databricks_test", retry_limit=1)
    result = run_databricks_step(
        definition, ctx, hook, polling_period_seconds=0.1, on_submit=spark_writes
    )
    return ctx, result


def test_spark_writes_the_output_in_its_final_place(jobs_api, lake):
    jobs_api.script("scores", Outcome(polls=2))
    _, result = _run(jobs_api, lake, "scores")
    ref = result.outputs["scored"]
    assert ref.uri.startswith("s3://") and ref.store_fingerprint
    lake.fs.invalidate_cache()
    assert lake.fs.cat_file(lake.path(f"{ref.path}/part-0.parquet")) == b"PAR1..."


def test_a_failed_run_leaves_no_output(jobs_api, lake):
    jobs_api.script("broken", Outcome(polls=1, result_state="FAILED", error="boom"))
    with pytest.raises(StepRunError, match="boom"):
        _run(jobs_api, lake, "broken")
    lake.fs.invalidate_cache()
    assert not lake.fs.exists(lake.path("pipelinedata/dbx"))
