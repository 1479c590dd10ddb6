"""A Kubernetes-pod step without a shared disk, played by the container entrypoint run as a
process in a home and temp folder of its own: the worker ships the step's code to the
default datastore (Azurite), the "pod" fetches it, reads its input from and writes its
output, artifacts and reuse manifest to that datastore, and a later "pod" reuses it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlpipelines import Datastore, Pipeline, PipelineData, PythonScriptStep, Workspace
from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import OutputReference, StepDefinition
from mlpipelines.runtime.container_step import (
    ENVELOPE_ENV,
    build_envelope,
    parse_result_line,
    with_shipped_source,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value
from support.storage_fixtures import location_of

pytestmark = pytest.mark.integration

PREP = """
import os, sys
out = sys.argv[sys.argv.index("--out") + 1]
with open(os.path.join(out, "rows.txt"), "w") as sink:
    sink.write("a\\nb\\nc\\n")
print("prepared in", os.environ["AIRFLOW_HOME"])
"""

TRAIN = """
import os, sys
from mlpipelines.azureml.core import Run
data, out = sys.argv[sys.argv.index("--data") + 1], sys.argv[sys.argv.index("--out") + 1]
rows = open(os.path.join(data, "rows.txt")).read().splitlines()
with open(os.path.join(out, "model.txt"), "w") as sink:
    sink.write(f"model of {len(rows)} rows")
Run.get_context().log("rows", len(rows))
"""


@pytest.fixture
def lake(azurite, monkeypatch):
    """An Azurite datastore named ``lake``, as the worker and the pods see it (a variable)."""
    body = azurite.connection_body("lake")
    monkeypatch.setenv(environment_name("lake"), environment_value(body))
    datastores._opened.cache_clear()
    yield body
    datastores._opened.cache_clear()


def _definitions(tmp_path: Path) -> dict[str, StepDefinition]:
    ws = Workspace(home=str(tmp_path / "client-home"))
    ComputeTarget.create(
        ws, "k8s", AmlCompute.provisioning_configuration(backend="kubernetes", image="step:1")
    )
    source = tmp_path / "src"
    source.mkdir()
    (source / "prep.py").write_text(PREP)
    (source / "train.py").write_text(TRAIN)
    lake = Datastore(ws, "lake")
    rows, model = PipelineData("rows", datastore=lake), PipelineData("model", datastore=lake)
    prep = PythonScriptStep(
        name="prep",
        script_name="prep.py",
        source_directory=str(source),
        arguments=["--out", rows],
        outputs=[rows],
        compute_target="k8s",
    )
    train = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(source),
        arguments=["--data", rows, "--out", model],
        inputs=[rows],
        outputs=[model],
        compute_target="k8s",
    )
    plan = plan_pipeline(Pipeline(ws, [prep, train], default_datastore=lake))
    return {t.task_id: t.definition for t in plan.tasks}


def _pod(tmp_path: Path, name: str, definition: StepDefinition, run_id: str, inputs: dict) -> dict:
    """Run the entrypoint as a pod would: its own (empty) home and temp folder."""
    ctx = StepContext("pods", run_id, definition.task_id, {}, lambda *_: None)
    envelope = build_envelope(definition, ctx, inputs)
    home, tmp = tmp_path / name / "home", tmp_path / name / "tmp"
    tmp.mkdir(parents=True)
    env = {
        **os.environ,
        ENVELOPE_ENV: json.dumps(envelope),
        "AIRFLOW_HOME": str(home),
        "TMPDIR": str(tmp),
    }
    done = subprocess.run(
        [sys.executable, "-m", "mlpipelines.runtime.container_step"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = parse_result_line(done.stdout)
    assert report is not None
    assert not (home / "mlpipelines").exists(), "nothing on the pod's own disk"
    return report


def test_pods_fetch_the_shipped_code_and_keep_everything_on_the_datastore(tmp_path, lake, azurite):
    definitions = _definitions(tmp_path)
    shipped = {name: with_shipped_source(d) for name, d in definitions.items()}
    assert shipped["prep"].source_ref is not None
    assert shipped["prep"].source_ref.store.name == "lake"
    assert shipped["prep"].source_ref == shipped["train"].source_ref, "one snapshot"
    shutil.rmtree(tmp_path / "src")  # the pods can only get the code from the datastore

    prep = _pod(tmp_path, "pod-prep", shipped["prep"], "r1", {})
    rows = prep["outputs"]["rows"]
    assert rows["uri"].startswith("az://")
    pulled = {("prep", "rows"): OutputReference.from_json(rows)}
    train = _pod(tmp_path, "pod-train", shipped["train"], "r1", pulled)
    assert train["metrics"] == {"rows": 3}
    assert train["reused_run_id"] is None

    location = location_of(lake)
    model = train["outputs"]["model"]["path"]
    assert location.fs.cat_file(location.path(f"{model}/model.txt")) == b"model of 3 rows"
    assert location.fs.exists(location.path("artifacts/pods/r1/train/metrics.json"))
    assert location.fs.exists(location.path(f".mlpipelines/reuse/{train['key']}.json"))

    again = _pod(tmp_path, "pod-again", shipped["train"], "r2", pulled)
    assert again["reused_run_id"] == "r1"
    assert again["outputs"] == train["outputs"]
