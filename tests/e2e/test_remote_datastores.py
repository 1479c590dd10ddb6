"""Datastores on real storage servers, registered as Airflow connections over REST: a pipeline
whose input is on Azure Blob (Azurite) and whose outputs go to S3 (moto) runs on Airflow."""

from __future__ import annotations

import uuid

import httpx
import pytest

from mlpipelines._naming import path_safe
from mlpipelines.azureml.core import Datastore, Experiment, Workspace
from mlpipelines.azureml.data.data_reference import DataReference
from mlpipelines.azureml.exceptions import ActivityFailedException
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import DataTransferStep, PythonScriptStep
from support.storage_servers import AZURITE_ACCOUNT, AZURITE_KEY, S3_KEY, S3_REGION, S3_SECRET

pytestmark = pytest.mark.e2e

COUNT = """
import os, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
lines = open(os.path.join(args["--raw"], "sales.csv")).read().splitlines()
with open(os.path.join(args["--out"], "count.txt"), "w") as sink:
    sink.write(str(len(lines) - 1))
print("counted", len(lines) - 1, "rows", flush=True)
"""


def _count_step(tmp_path, source_store, out):
    """The step counting the rows of ``raw/sales.csv`` on ``source_store`` into ``out``."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "count.py").write_text(COUNT)
    raw = DataReference(source_store, "raw", "raw").as_download()
    return PythonScriptStep(
        name="count",
        script_name="count.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--raw", raw, "--out", out],
        inputs=[raw],
        outputs=[out],
    )


def _register(ws, azurite, moto_s3, suffix):
    container, bucket = f"in-{suffix}", f"out-{suffix}"
    azurite.server.create_container(container)
    moto_s3.server.create_bucket(bucket)
    blob = Datastore.register_azure_blob_container(
        ws,
        f"sales_blob_{suffix}",
        container_name=container,
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        endpoint=azurite.server.endpoint,
        protocol="http",
    )
    s3 = Datastore.register_s3_bucket(
        ws,
        f"results_s3_{suffix}",
        bucket_name=bucket,
        access_key_id=S3_KEY,
        secret_access_key=S3_SECRET,
        endpoint_url=moto_s3.server.endpoint,
        region_name=S3_REGION,
    )
    return blob, s3


def test_input_on_azurite_outputs_on_s3_on_airflow(airflow, azurite, moto_s3, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    ws = Workspace.from_config(airflow.home / "config.json")
    blob, s3 = _register(ws, azurite, moto_s3, suffix)
    connection = airflow.api.call("GET", f"/api/v2/connections/{blob.name}")
    assert connection["conn_type"] == "mlpipelines_azure_blob"
    assert AZURITE_KEY not in str(connection), "the REST API must not show the secret"

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text("region,amount\nn,1\ns,2\ne,3\n")
    blob.upload(str(tmp_path / "data"), target_path="raw", show_progress=False)
    counted = PipelineData("counted", datastore=s3)
    count = _count_step(tmp_path, blob, counted)
    export = DataTransferStep(
        "export", counted, DataReference(s3, "export", "exports/latest"), allow_reuse=False
    )
    experiment = Experiment(ws, f"remote_{suffix}")
    run = experiment.submit(Pipeline(ws, [count, export]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"

    (step,) = run.find_step_run("count")
    ref = step.get_outputs()["counted"]
    assert ref["uri"].startswith("s3://out-")
    assert ref["uri"].endswith(f"/{experiment.name}/{path_safe(run.id)}/count/counted")
    store = s3.location
    assert store.fs.cat_file(store.path(f"{ref['path']}/count.txt")) == b"3"
    assert store.fs.cat_file(store.path("exports/latest/count.txt")) == b"3"
    assert "counted 3 rows" in step.get_logs()

    again = experiment.submit(Pipeline(ws, [count, export]))
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert again.find_step_run("count")[0].reused


def test_wrong_credentials_fail_the_step_before_its_script(airflow, azurite, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    ws = Workspace.from_config(airflow.home / "config.json")
    azurite.server.create_container(f"bad-{suffix}")
    bad = Datastore.register_azure_blob_container(
        ws,
        f"bad_blob_{suffix}",
        container_name=f"bad-{suffix}",
        account_name=AZURITE_ACCOUNT,
        account_key="d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=",
        endpoint=azurite.server.endpoint,
        protocol="http",
        skip_validation=True,
    )
    step = _count_step(tmp_path, bad, PipelineData("out"))
    run = Experiment(ws, f"bad_{suffix}").submit(Pipeline(ws, [step]))
    with pytest.raises(ActivityFailedException):
        run.wait_for_completion(show_output=False, timeout_seconds=300)
    log = run.find_step_run("count")[0].get_logs()
    assert f"datastore 'bad_blob_{suffix}'" in log
    assert "counted" not in log
    assert "d3Jvbmcta2V5" not in log, "the secret must never reach a log"


def test_registering_twice_needs_overwrite(airflow, azurite, moto_s3):
    suffix = uuid.uuid4().hex[:8]
    ws = Workspace.from_config(airflow.home / "config.json")
    _, s3 = _register(ws, azurite, moto_s3, suffix)
    again = Datastore.register_s3_bucket(
        ws,
        s3.name,
        bucket_name=f"out-{suffix}",
        access_key_id=S3_KEY,
        secret_access_key=S3_SECRET,
        endpoint_url=moto_s3.server.endpoint,
        region_name=S3_REGION,
    )
    assert again.name == s3.name, "the same settings again: no error"
    moto_s3.server.create_bucket(f"other-{suffix}")
    with pytest.raises(Exception, match="already registered with other settings"):
        Datastore.register_s3_bucket(
            ws,
            s3.name,
            bucket_name=f"other-{suffix}",
            access_key_id=S3_KEY,
            secret_access_key=S3_SECRET,
            endpoint_url=moto_s3.server.endpoint,
            region_name=S3_REGION,
        )
    assert httpx.get(f"{ws.airflow_url}/api/v2/connections/{s3.name}").status_code == 401
    moved = Datastore.register_s3_bucket(
        ws,
        s3.name,
        bucket_name=f"other-{suffix}",
        access_key_id=S3_KEY,
        secret_access_key=S3_SECRET,
        endpoint_url=moto_s3.server.endpoint,
        region_name=S3_REGION,
        overwrite=True,
    )
    assert moved.name == s3.name
    extra = airflow.api.call("GET", f"/api/v2/connections/{s3.name}")["extra"]
    assert f"other-{suffix}" in extra


def test_a_local_folder_registered_from_the_client_is_a_connection(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    name = f"lake_{uuid.uuid4().hex[:8]}"
    Datastore.register_local_folder(ws, name, str(tmp_path / "lake"))
    connection = airflow.api.call("GET", f"/api/v2/connections/{name}")
    assert connection["conn_type"] == "mlpipelines_local"
    assert str(tmp_path / "lake") in connection["extra"]
    again = Workspace.from_config(airflow.home / "config.json")
    Datastore.register_local_folder(again, name, str(tmp_path / "lake"))  # same: accepted
    with pytest.raises(Exception, match="already registered with other settings"):
        Datastore.register_local_folder(
            Workspace.from_config(airflow.home / "config.json"), name, str(tmp_path / "elsewhere")
        )


def test_the_connection_form_offers_the_file_datastore_types(airflow):
    """What the UI's connection form is built from (GET /ui/connections/hook_meta)."""
    metas = {
        m["connection_type"]: m
        for m in airflow.api.call("GET", "/ui/connections/hook_meta")
        if str(m.get("connection_type", "")).startswith("mlpipelines_")
    }
    extras = {kind: sorted(m.get("extra_fields") or {}) for kind, m in metas.items()}
    assert extras == {
        "mlpipelines_azure_blob": [
            "connection_string",
            "container",
            "endpoint",
            "prefix",
            "protocol",
            "sas_token",
        ],
        "mlpipelines_azure_file": ["encrypt", "prefix", "share"],
        "mlpipelines_adls_gen2": [
            "client_id",
            "connection_string",
            "endpoint",
            "filesystem",
            "prefix",
            "protocol",
            "tenant_id",
        ],
        "mlpipelines_dbfs": ["prefix"],
        "mlpipelines_local": ["path"],
        "mlpipelines_s3": ["bucket", "endpoint_url", "prefix", "region_name"],
    }
    assert metas["mlpipelines_s3"]["hook_name"] == "ML pipelines datastore: S3 bucket"


def test_a_default_datastore_on_azurite_holds_outputs_artifacts_and_the_reuse_cache(
    airflow, azurite, moto_s3, tmp_path
):
    """Nothing of the run lands on the worker's disk: what a pod without a shared disk needs."""
    suffix = uuid.uuid4().hex[:8]
    ws = Workspace.from_config(airflow.home / "config.json")
    blob, _ = _register(ws, azurite, moto_s3, suffix)
    ws.set_default_datastore(blob.name)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text("region,amount\nn,1\ns,2\n")
    blob.upload(str(tmp_path / "data"), target_path="raw", show_progress=False)
    count = _count_step(tmp_path, blob, PipelineData("counted"))
    experiment = Experiment(ws, f"remote_default_{suffix}")
    run = experiment.submit(Pipeline(ws, [count]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"

    store = blob.location
    (step,) = run.find_step_run("count")
    ref = step.get_outputs()["counted"]
    assert ref["uri"].startswith(f"az://in-{suffix}/pipelinedata/")
    assert store.fs.cat_file(store.path(f"{ref['path']}/count.txt")) == b"2"
    artifacts = f"artifacts/{experiment.name}/{path_safe(run.id)}/count"
    assert b"counted 2 rows" in store.fs.cat_file(store.path(f"{artifacts}/stdout.txt"))
    manifests = store.fs.glob(store.path(".mlpipelines/reuse/*.json"))
    assert len(manifests) == 1
    snapshots = store.fs.glob(store.path(".mlpipelines/snapshot-files/*.json"))
    assert len(snapshots) == 1, "the submitted code went to the default datastore"
    local = airflow.blobstore
    assert not list(local.glob(f"artifacts/{experiment.name}")), "nothing on the worker disk"
    assert not list(local.glob(f"pipelinedata/{experiment.name}"))

    again = experiment.submit(Pipeline(ws, [count]))
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert again.find_step_run("count")[0].reused
