"""A step's script reads its datasets on a real Airflow worker as old Azure ML scripts do
(``Run.get_context().input_datasets[...]``) without importing Airflow: its task resolves the
datastores and hands them over through the environment, so a remote datastore's secret
reaches the script but no log, artifact, XCom or file."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Datastore, Experiment, Workspace
from mlpipelines.azureml.exceptions import ActivityFailedException
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from support.storage_servers import S3_KEY, S3_REGION

pytestmark = pytest.mark.e2e

TRAIN = """
import os, sys
from mlpipelines.azureml.core import Run

run = Run.get_context()
iris = run.input_datasets["iris"].to_pandas_dataframe()
files = run.input_datasets["files"]
assert files == sys.argv[sys.argv.index("--files") + 1], (files, sys.argv)
names = sorted(os.listdir(files))
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "airflow")
assert "airflow" not in sys.modules, f"a step's script imported Airflow: {loaded[:5]}"
run.log("rows", len(iris))
run.log("petal_total", float(iris["petal"].sum()))
run.log("files", len(names))
print("read", len(iris), "rows and files", names, flush=True)
"""

IRIS = {
    "a.csv": "petal,species\n1.5,setosa\n4.5,virginica\n",
    "b.csv": "petal,species\n2.0,setosa\n",
}


def _step(name: str, store: Datastore, folder: str, files_mode: str, src: Path) -> PythonScriptStep:
    iris = Dataset.Tabular.from_delimited_files(path=[(store, f"{folder}/*.csv")], validate=False)
    files = Dataset.File.from_files(path=(store, folder), validate=False).as_named_input("files")
    files = files.as_download() if files_mode == "download" else files.as_mount()
    return PythonScriptStep(
        name=name,
        script_name="train.py",
        source_directory=str(src),
        arguments=["--files", files],
        inputs=[iris.as_named_input("iris"), files],
        allow_reuse=False,
    )


def _s3_store(ws: Workspace, moto_s3, suffix: str, secret: str, data: Path) -> Datastore:
    bucket = f"iris-{suffix}"
    moto_s3.server.create_bucket(bucket)
    store = Datastore.register_s3_bucket(
        ws,
        f"iris_s3_{suffix}",
        bucket_name=bucket,
        access_key_id=S3_KEY,
        secret_access_key=secret,
        endpoint_url=moto_s3.server.endpoint,
        region_name=S3_REGION,
    )
    store.upload(str(data), target_path="iris", show_progress=False)
    return store


def test_scripts_read_datasets_on_local_and_s3_datastores_without_airflow(
    airflow, moto_s3, tmp_path
):
    suffix = uuid.uuid4().hex[:8]
    secret = f"s3-secret-{uuid.uuid4().hex}"
    ws = Workspace.from_config(airflow.home / "config.json")
    data = tmp_path / "iris"
    data.mkdir()
    for name, text in IRIS.items():
        (data / name).write_text(text)
        (airflow.blobstore / f"iris-{suffix}").mkdir(parents=True, exist_ok=True)
        (airflow.blobstore / f"iris-{suffix}" / name).write_text(text)
    s3 = _s3_store(ws, moto_s3, suffix, secret, data)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    blob = ws.get_default_datastore()
    steps = [
        _step("local_iris", blob, f"iris-{suffix}", "download", tmp_path / "src"),
        _step("s3_iris", s3, "iris", "mount", tmp_path / "src"),
    ]
    experiment = Experiment(ws, f"script_data_{suffix}")
    run = experiment.submit(Pipeline(ws, steps))
    try:
        status = run.wait_for_completion(show_output=False, timeout_seconds=300)
    except ActivityFailedException as exc:
        tails = [run.find_step_run(n)[0].get_logs()[-2000:] for n in ("local_iris", "s3_iris")]
        pytest.fail(f"{exc}\n" + "\n---\n".join(tails))
    assert status == "Finished"
    logs = {name: run.find_step_run(name)[0].get_logs() for name in ("local_iris", "s3_iris")}

    for name, log in logs.items():
        assert run.find_step_run(name)[0].get_metrics() == {
            "rows": 3,
            "petal_total": 8.0,
            "files": 2,
        }, name
        assert "read 3 rows and files ['a.csv', 'b.csv']" in log, log
        stdout = airflow.artifact(experiment.name, run.id, name, "stdout.txt").read_text()
        assert "read 3 rows" in stdout
        assert secret not in log
        assert secret not in str(airflow.xcom_values(experiment.name, run.id, name))
    # Logs, artifacts (argv shows in the task log and stdout/stderr), specs, datastores:
    # nothing Airflow or mlpipelines wrote holds the secret.
    assert airflow.files_holding(secret) == []
