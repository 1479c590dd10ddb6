"""Steps whose data lives on remote datastores (Azurite for Azure Blob, moto for S3), read
through Airflow connections given as AIRFLOW_CONN_* variables, as a worker would see them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from mlpipelines import (
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import DatastoreSpec, StepDefinition
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value

pytestmark = pytest.mark.integration

SCORE = """
import json, os, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
rows = open(os.path.join(args["--mounted"], "data.csv")).read().splitlines()
copy = open(os.path.join(args["--copied"], "data.csv")).read().splitlines()
assert rows == copy
os.makedirs(os.path.join(args["--out"], "part"), exist_ok=True)
with open(os.path.join(args["--out"], "part", "scores.json"), "w") as sink:
    json.dump({"rows": len(rows) - 1, "uri": args["--uri"]}, sink)
if os.environ.get("FAIL_AFTER_WRITE"):
    sys.exit(3)
"""

REPORT = """
import json, os, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
scores = json.load(open(os.path.join(args["--scores"], "part", "scores.json")))
with open(os.path.join(args["--out"], "report.json"), "w") as sink:
    json.dump({"seen": scores["rows"]}, sink)
"""


@pytest.fixture
def stores(azurite, moto_s3, monkeypatch, tmp_path):
    """A blob datastore holding data.csv and an empty S3 datastore, as Airflow connections."""
    blob = azurite.connection_body("blob_in")
    s3 = moto_s3.connection_body("s3_out")
    for body in (blob, s3):
        monkeypatch.setenv(environment_name(body["connection_id"]), environment_value(body))
    datastores._opened.cache_clear()
    ws = Workspace.current()
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "data.csv").write_text("id,value\n1,a\n2,b\n3,c\n")
    Datastore(ws, "blob_in").upload(str(tmp_path / "raw"), "raw", show_progress=False)
    yield ws, azurite.location("blob_in", container=None), moto_s3
    datastores._opened.cache_clear()


def _pipeline(ws: Workspace, source: Path, input_store: str = "blob_in"):
    source.mkdir(exist_ok=True)
    (source / "score.py").write_text(SCORE)
    (source / "report.py").write_text(REPORT)
    raw = DataReference(Datastore(ws, input_store), "raw", path_on_datastore="raw")
    copied = DataReference(Datastore(ws, input_store), "raw_copy", "raw").as_download()
    direct = DataReference(Datastore(ws, input_store), "raw_uri", "raw/data.csv", mode="direct")
    scores = PipelineData("scores", datastore=Datastore(ws, "s3_out"))
    report = PipelineData("report", datastore=ws.get_default_datastore())
    score = PythonScriptStep(
        name="score",
        script_name="score.py",
        source_directory=str(source),
        arguments=["--mounted", raw, "--copied", copied, "--uri", direct, "--out", scores],
        inputs=[raw, copied, direct],
        outputs=[scores],
    )
    reporting = PythonScriptStep(
        name="report",
        script_name="report.py",
        source_directory=str(source),
        arguments=["--scores", scores, "--out", report],
        inputs=[scores],
        outputs=[report],
    )
    plan = plan_pipeline(Pipeline(ws, [score, reporting]))
    return {t.task_id: t.definition for t in plan.tasks}


def _ctx(run_id: str, task_id: str, pushed: dict) -> StepContext:
    return StepContext(
        "remote_dag",
        run_id,
        task_id,
        params={},
        pull_output=lambda producer, name: pushed.get((producer, name)),
    )


def test_inputs_on_blob_outputs_on_s3_and_reuse(stores, tmp_path):
    ws, _, _ = stores
    steps = _pipeline(ws, tmp_path / "src")
    run = f"run_{uuid.uuid4().hex[:8]}"
    scored = run_python_script_step(steps["score"], _ctx(run, "score", {}))
    ref = scored.outputs["scores"]
    assert ref.datastore == "s3_out"
    assert ref.path == f"pipelinedata/remote_dag/{run}/score/scores"
    assert ref.uri.startswith("s3://") and ref.uri.endswith(ref.path)

    s3 = datastores.location_of(ref.store)
    written = json.loads(s3.fs.cat_file(s3.path(f"{ref.path}/part/scores.json")))
    assert written["rows"] == 3
    assert written["uri"].startswith("az://") and written["uri"].endswith("raw/data.csv")

    pushed = {("score", "scores"): ref}
    reported = run_python_script_step(steps["report"], _ctx(run, "report", pushed))
    folder = ws.get_default_datastore().root / reported.outputs["report"].path
    assert json.loads((folder / "report.json").read_text()) == {"seen": 3}

    again = run_python_script_step(steps["score"], _ctx(f"{run}_b", "score", {}))
    assert again.reused is not None and again.reused.run_id == run

    s3.fs.rm(s3.path(f"{ref.path}/part/scores.json"))
    s3.fs.invalidate_cache()
    third = run_python_script_step(steps["score"], _ctx(f"{run}_c", "score", {}))
    assert third.reused is None, "a reused output that is gone must not be handed on"


def test_a_failed_script_leaves_nothing_on_the_remote_store(stores, tmp_path, monkeypatch):
    ws, _, _ = stores
    steps = _pipeline(ws, tmp_path / "src")
    monkeypatch.setenv("FAIL_AFTER_WRITE", "1")
    monkeypatch.setenv("MLPIPELINES_SCRIPT_ENV_PASS", "FAIL_AFTER_WRITE")  # a worker setting
    run = f"run_{uuid.uuid4().hex[:8]}"
    with pytest.raises(StepRunError, match="exited with code 3"):
        run_python_script_step(steps["score"], _ctx(run, "score", {}))
    s3 = datastores.location_of(DatastoreSpec("s3_out", "connection"))
    s3.fs.invalidate_cache()
    assert not s3.fs.exists(s3.path(f"pipelinedata/remote_dag/{run}"))


def test_an_unknown_datastore_fails_before_the_script_runs(stores, tmp_path, monkeypatch):
    ws, _, _ = stores
    with pytest.raises(UserErrorException, match="no datastore named 'ghost_store'"):
        _pipeline(ws, tmp_path / "src", input_store="ghost_store")
    # A connection removed after the pipeline was defined: the task names it.
    monkeypatch.setenv("AIRFLOW_CONN_GHOST_STORE", '{"conn_type": "mlpipelines_s3"}')
    steps = _pipeline(ws, tmp_path / "src", input_store="ghost_store")
    monkeypatch.delenv("AIRFLOW_CONN_GHOST_STORE")
    with pytest.raises(StepRunError) as raised:
        run_python_script_step(steps["score"], _ctx("run_ghost", "score", {}))
    assert "no datastore named 'ghost_store'" in str(raised.value)
    assert "AIRFLOW_CONN_GHOST_STORE" in str(raised.value)


def test_missing_input_path_is_named(stores, tmp_path):
    ws, _, _ = stores
    steps = _pipeline(ws, tmp_path / "src")
    score = steps["score"].to_json()
    score["inputs"][0]["path_on_datastore"] = "nothing/here"
    moved = StepDefinition.from_json(score)
    with pytest.raises(StepRunError, match=r"input 'raw': 'blob_in/nothing/here' does not exist"):
        run_python_script_step(moved, _ctx("run_missing", "score", {}))


WRITE = """
import os, sys
out = sys.argv[1]
os.makedirs(os.path.join(out, "deep"), exist_ok=True)
open(os.path.join(out, "deep", "result.txt"), "w").write("done")
open(os.path.join(out, "summary.txt"), "w").write("ok")
if os.environ.get("FAIL_AFTER_WRITE"):
    sys.exit(4)
"""


@pytest.mark.parametrize("store", ["s3_out", "workspaceblobstore"])
def test_an_upload_reference_fills_its_fixed_place_only_on_success(
    stores, tmp_path, monkeypatch, store
):
    ws, _, _ = stores
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "write.py").write_text(WRITE)
    place = f"reports/{uuid.uuid4().hex[:8]}"
    report = DataReference(Datastore(ws, store), "report", place).as_upload()
    step = PythonScriptStep(
        name="write",
        script_name="write.py",
        source_directory=str(tmp_path / "w"),
        arguments=[report],
        outputs=[report],
        allow_reuse=False,
    )
    (definition,) = [t.definition for t in plan_pipeline(Pipeline(ws, [step])).tasks]
    location = datastores.location_of(definition.outputs[0].datastore)

    monkeypatch.setenv("FAIL_AFTER_WRITE", "1")
    monkeypatch.setenv("MLPIPELINES_SCRIPT_ENV_PASS", "FAIL_AFTER_WRITE")  # a worker setting
    with pytest.raises(StepRunError, match="exited with code 4"):
        run_python_script_step(definition, _ctx("run_up_1", "write", {}))
    location.fs.invalidate_cache()
    assert not location.fs.exists(location.path(place))

    monkeypatch.delenv("FAIL_AFTER_WRITE")
    result = run_python_script_step(definition, _ctx("run_up_2", "write", {}))
    assert result.outputs["report"].path == place
    location.fs.invalidate_cache()
    assert location.fs.cat_file(location.path(f"{place}/deep/result.txt")) == b"done"
    assert location.fs.cat_file(location.path(f"{place}/summary.txt")) == b"ok"
    leftovers = [p for p in location.fs.find(location.path("reports")) if ".partial-" in p]
    assert leftovers == []


def test_an_empty_output_on_s3_still_exists_for_its_reader(stores, tmp_path):
    ws, _, _ = stores
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "nothing.py").write_text("import sys\n")
    (tmp_path / "e" / "read.py").write_text(
        "import os, sys\nprint(sorted(os.listdir(sys.argv[1])))\n"
    )
    empty = PipelineData("empty", datastore=Datastore(ws, "s3_out"))
    write = PythonScriptStep(
        name="write_nothing",
        script_name="nothing.py",
        source_directory=str(tmp_path / "e"),
        arguments=[empty],
        outputs=[empty],
        allow_reuse=False,
    )
    read = PythonScriptStep(
        name="read_nothing",
        script_name="read.py",
        source_directory=str(tmp_path / "e"),
        arguments=[empty.as_download()],
        inputs=[empty.as_download()],
        allow_reuse=False,
    )
    steps = {t.task_id: t.definition for t in plan_pipeline(Pipeline(ws, [write, read])).tasks}
    run = f"run_{uuid.uuid4().hex[:8]}"
    written = run_python_script_step(steps["write_nothing"], _ctx(run, "write_nothing", {}))
    pushed = {("write_nothing", "empty"): written.outputs["empty"]}
    run_python_script_step(steps["read_nothing"], _ctx(run, "read_nothing", pushed))


def test_create_if_not_exists_makes_the_container(azurite):
    from support.storage_servers import AZURITE_ACCOUNT, AZURITE_KEY

    ws = Workspace.current()
    container = f"made-{uuid.uuid4().hex[:8]}"
    store = Datastore.register_azure_blob_container(
        ws,
        "made_here",
        container_name=container,
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        endpoint=azurite.server.endpoint,
        protocol="http",
        create_if_not_exists=True,
    )
    assert store.location.fs.exists(container)
    assert (store.account_name, store.container_name) == (AZURITE_ACCOUNT, container)
