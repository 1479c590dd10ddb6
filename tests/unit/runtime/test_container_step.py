"""The container entrypoint run as a process, as a pod or container would run it: a real
PythonScriptStep with an input and an output on a local datastore, reuse, and failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import OutputReference, StepDefinition
from mlpipelines.runtime.container_step import (
    ENVELOPE_ENV,
    RESULT_PREFIX,
    build_envelope,
    parse_result_line,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage.data_locations import reference_location

SCRIPT = """
import os, sys
from mlpipelines.azureml.core import Run
data, out = sys.argv[sys.argv.index("--data") + 1], sys.argv[sys.argv.index("--out") + 1]
text = open(os.path.join(data, "rows.txt")).read()
if "--fail" in sys.argv:
    print("cannot train on " + text.strip(), file=sys.stderr)
    sys.exit(3)
with open(os.path.join(out, "model.txt"), "w") as sink:
    sink.write("model of " + text)
Run.get_context().log("rows", len(text.splitlines()))
print("trained")
"""


def _definition(tmp_path: Path, fail: bool = False) -> StepDefinition:
    ws = Workspace.current()
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text(SCRIPT)
    prepared = PipelineData("prepared", datastore=ws.get_default_datastore())
    model = PipelineData("model", datastore=ws.get_default_datastore())
    prep = PythonScriptStep(
        name="prep", script_name="train.py", source_directory=str(src), outputs=[prepared]
    )
    train = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(src),
        arguments=["--data", prepared, "--out", model, *(["--fail"] if fail else [])],
        inputs=[prepared],
        outputs=[model],
    )
    plan = plan_pipeline(Pipeline(ws, [prep, train]))
    return {t.task_id: t.definition for t in plan.tasks}["train"]


def _input_ref(tmp_path: Path) -> OutputReference:
    """What the producer would have pushed to XCom: its output on the default datastore."""
    root = Workspace.current().datastore_root("workspaceblobstore")
    path = "pipelinedata/containers/r0/prep/prepared"
    (root / path).mkdir(parents=True, exist_ok=True)
    (root / path / "rows.txt").write_text("a\nb\nc\n")
    return OutputReference.from_json({"datastore": "workspaceblobstore", "path": path})


def _run(
    definition: StepDefinition, ref: OutputReference, run_id: str
) -> subprocess.CompletedProcess[str]:
    ctx = StepContext("containers", run_id, "train", {}, lambda *_: None)
    envelope = build_envelope(definition, ctx, {("prep", "prepared"): ref})
    env = {**os.environ, ENVELOPE_ENV: json.dumps(envelope)}
    return subprocess.run(
        [sys.executable, "-m", "mlpipelines.runtime.container_step"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_entrypoint_runs_the_step_reports_its_result_then_reuses_it(tmp_path):
    definition = _definition(tmp_path)
    ref = _input_ref(tmp_path)
    first = _run(definition, ref, "r1")
    assert first.returncode == 0, first.stderr
    last = first.stdout.strip().splitlines()[-1]
    assert last.startswith(RESULT_PREFIX)
    report = parse_result_line(first.stdout)
    assert report == json.loads(last[len(RESULT_PREFIX) :])
    assert set(report["outputs"]) == {"model"}
    assert report["metrics"] == {"rows": 3}
    assert report["reused_run_id"] is None
    model_ref = OutputReference.from_json(report["outputs"]["model"])
    model = reference_location(model_ref).local_path / "model.txt"
    assert model.read_text() == "model of a\nb\nc\n"

    second = _run(definition, ref, "r2")
    assert second.returncode == 0, second.stderr
    again = parse_result_line(second.stdout)
    assert again["reused_run_id"] == "r1"
    assert again["outputs"] == report["outputs"]
    assert again["key"] == report["key"]


def test_a_failing_script_exits_non_zero_with_its_stderr_tail(tmp_path):
    failed = _run(_definition(tmp_path, fail=True), _input_ref(tmp_path), "r3")
    assert failed.returncode == 1
    assert "exited with code 3" in failed.stderr
    assert "cannot train on a" in failed.stderr
    assert parse_result_line(failed.stdout) is None


def test_without_an_envelope_nothing_runs():
    env = {k: v for k, v in os.environ.items() if k != ENVELOPE_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "mlpipelines.runtime.container_step"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and ENVELOPE_ENV in done.stderr
