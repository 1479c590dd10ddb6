"""A step's script opens its datastores from what its task handed it, never through Airflow:
it reads datasets, registered datasets and datastores while Airflow's database is out of
reach (the task's ``airflow-db-not-allowed`` setting), and never imports Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Datastore, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records.reserved import ENV_DATASTORES
from mlpipelines.runtime.container_step import ENVELOPE_ENV, build_envelope, parse_result_line
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.script_datastores import step_datastores
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import StoreLocation, open_datastore
from mlpipelines.storage.handed_datastores import hand_datastores, handed_datastores
from mlpipelines.storage.registration import (
    environment_name,
    environment_value,
    registration_body,
)

# What a task's environment holds on a real worker: the script inherits it.
NO_DATABASE = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "airflow-db-not-allowed:///"}

SCRIPT = """
import json, os, sys
from mlpipelines.azureml.core import Dataset, Datastore, Run

run = Run.get_context()
ws = run.experiment.workspace
frame = run.input_datasets["iris"].to_pandas_dataframe()
files = run.input_datasets["files"]
with files.mount() as mounted:
    in_mount = sorted(os.listdir(mounted.mount_point))
downloaded = files.download(os.path.join(sys.argv[2], "copy"), overwrite=True)
registered = Dataset.get_by_name(ws, sys.argv[3]).to_pandas_dataframe()
store = Datastore.get(ws, "workspaceblobstore").location
run.log("rows", len(frame))
run.log("petal_total", float(frame["petal"].sum()))
seen = {
    "to_path": sorted(files.to_path()),
    "in_mount": in_mount,
    "downloaded": sorted(os.path.basename(p) for p in downloaded),
    "registered_rows": len(registered),
    "blob_is_local": store.is_local,
    "airflow": sorted(m for m in sys.modules if m.split(".")[0] == "airflow"),
}
with open(os.path.join(sys.argv[1], "seen.json"), "w") as sink:
    json.dump(seen, sink)
assert "airflow" not in sys.modules, "a step's script must never import Airflow"
"""


def _ctx(run_id: str) -> StepContext:
    return StepContext("dag", f"{run_id}_{uuid.uuid4().hex[:6]}", "s", {}, lambda *_: None)


def _iris_step(tmp_path: Path) -> tuple[object, object]:
    ws = Workspace.current()
    blob = ws.get_default_datastore()
    folder = f"iris-{uuid.uuid4().hex[:8]}"
    (blob.root / folder).mkdir(parents=True)
    (blob.root / folder / "a.csv").write_text("petal,species\n1.5,setosa\n4.5,virginica\n")
    (blob.root / folder / "b.csv").write_text("petal,species\n2.0,setosa\n")
    iris = Dataset.Tabular.from_delimited_files(path=[(blob, f"{folder}/*.csv")])
    registered = f"iris_{uuid.uuid4().hex[:6]}"
    iris.register(ws, registered)
    files = Dataset.File.from_files(path=(blob, folder))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(SCRIPT)
    out = PipelineData("out", datastore=blob)
    step = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(tmp_path / "src"),
        arguments=[out, str(tmp_path), registered],
        inputs=[iris.as_named_input("iris"), files.as_named_input("files")],
        outputs=[out],
    )
    return plan_pipeline(Pipeline(ws, [step])).tasks[0].definition, blob


def test_a_script_reads_datasets_and_datastores_without_airflow(tmp_path):
    definition, blob = _iris_step(tmp_path)
    result = run_python_script_step(definition, _ctx("iris"), extra_env=NO_DATABASE)
    seen = json.loads((blob.root / result.outputs["out"].path / "seen.json").read_text())
    assert seen == {
        "to_path": ["a.csv", "b.csv"],
        "in_mount": ["a.csv", "b.csv"],
        "downloaded": ["a.csv", "b.csv"],
        "registered_rows": 3,
        "blob_is_local": True,
        "airflow": [],
    }
    assert result.metrics == {"rows": 3, "petal_total": 8.0}


CONTAINER_SCRIPT = """
import sys
from mlpipelines.azureml.core import Run
run = Run.get_context()
run.log("rows", len(run.input_datasets["iris"].to_pandas_dataframe()))
assert "airflow" not in sys.modules, "a step's script must never import Airflow"
"""


def test_a_container_hands_its_script_the_connections_it_was_given(tmp_path, monkeypatch):
    """A pod gets datastore connections as ``AIRFLOW_CONN_*`` secrets; its entrypoint reads
    them, its script is handed the result."""
    name = f"lake_{uuid.uuid4().hex[:6]}"
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "a.csv").write_text("petal\n1\n2\n")
    connection = registration_body("local", name, path=str(tmp_path / "lake"))
    # The connection exists where the pipeline is defined, as an Airflow connection would.
    monkeypatch.setenv(environment_name(name), environment_value(connection))
    lake = Datastore(Workspace.current(), name)
    monkeypatch.delenv(environment_name(name))  # the pod gets it only through its secrets
    iris = Dataset.Tabular.from_delimited_files(path=[(lake, "*.csv")], validate=False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "s.py").write_text(CONTAINER_SCRIPT)
    step = PythonScriptStep(
        name="s",
        script_name="s.py",
        source_directory=str(tmp_path / "src"),
        inputs=[iris.as_named_input("iris")],
    )
    definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
    envelope = build_envelope(definition, _ctx("pod"), {})
    env = {
        **os.environ,
        ENVELOPE_ENV: json.dumps(envelope),
        environment_name(name): environment_value(connection),
    }
    done = subprocess.run(
        [sys.executable, "-m", "mlpipelines.runtime.container_step"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert parse_result_line(done.stdout)["metrics"] == {"rows": 2}


def test_the_task_hands_every_datastore_the_step_names(tmp_path):
    ws = Workspace.current()
    lake = Datastore.register_local_folder(ws, f"lake_{uuid.uuid4().hex[:6]}", str(tmp_path))
    (tmp_path / "x.csv").write_text("a\n1\n")
    rows = Dataset.Tabular.from_delimited_files(path=[(lake, "x.csv")]).as_named_input("rows")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "s.py").write_text("")
    step = PythonScriptStep(
        name="s", script_name="s.py", source_directory=str(tmp_path / "src"), inputs=[rows]
    )
    definition = plan_pipeline(Pipeline(ws, [step])).tasks[0].definition
    stores = step_datastores(definition, {})
    assert set(stores) == {"workspaceblobstore", "workspacefilestore", lake.name}
    assert stores[lake.name].root == str(tmp_path)


def test_a_script_opens_only_what_it_was_handed(tmp_path, monkeypatch):
    secret = "s3-secret-" + uuid.uuid4().hex
    s3 = StoreLocation(
        "lake", "s3", "bucket/runs", (("key", "AKIA1"), ("secret", secret), ("endpoint_url", "x"))
    )
    local = StoreLocation.local(tmp_path, datastore="workspaceblobstore")
    document = hand_datastores([s3, local])
    monkeypatch.setenv(ENV_DATASTORES, document)
    # Even with a connection of that name in the environment, the handed location wins.
    monkeypatch.setenv("AIRFLOW_CONN_LAKE", json.dumps({"conn_type": "mlpipelines_local"}))
    opened = open_datastore("lake")
    assert (opened.kind, opened.root, dict(opened.options)["secret"]) == (
        "s3",
        "bucket/runs",
        secret,
    )
    assert secret not in repr(opened)
    assert open_datastore("workspaceblobstore").root == str(tmp_path)
    monkeypatch.setenv("AIRFLOW_CONN_ELSEWHERE", json.dumps({"conn_type": "mlpipelines_local"}))
    with pytest.raises(UserErrorException, match="datastore 'elsewhere' was not handed"):
        open_datastore("elsewhere")
    # What the script registers itself it may open (no Airflow involved).
    ws = Workspace()
    Datastore.register_s3_bucket(
        ws, "elsewhere", bucket_name="other", access_key_id="k", secret_access_key=secret,
        endpoint_url="http://127.0.0.1:9", region_name="eu-west-1", skip_validation=True,
    )  # fmt: skip
    assert open_datastore("elsewhere", ws).root == "other"


def test_a_broken_handed_document_is_a_clear_error_without_its_secrets(monkeypatch):
    monkeypatch.setenv(ENV_DATASTORES, '{"version": 1, "datastores": {"x": {"key": "hunter2"}}}')
    with pytest.raises(UserErrorException, match=ENV_DATASTORES) as caught:
        handed_datastores()
    assert "hunter2" not in str(caught.value)
    monkeypatch.delenv(ENV_DATASTORES)
    assert handed_datastores() is None
