"""Running one PythonScriptStep without Airflow: staging, interpreter, outputs, failure."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace
from mlpipelines.azureml.core.runconfig import RunConfiguration
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext

SCRIPT = """
import json, os, sys
out = sys.argv[sys.argv.index("--out") + 1]
with open(os.path.join(out, "seen.json"), "w") as sink:
    json.dump({"executable": sys.executable, "color": os.environ.get("COLOR"),
               "files": sorted(os.listdir("."))}, sink)
if "--fail" in sys.argv:
    print("about to fail", file=sys.stderr)
    sys.exit(5)
"""


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "run.py").write_text(SCRIPT)
    (folder / "helper.txt").write_text("shipped with the step")
    return folder


def _definition(source: Path, arguments: list, runconfig=None) -> tuple[dict, PipelineData]:
    ws = Workspace.current()
    out = PipelineData("out", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="s",
        script_name="run.py",
        source_directory=str(source),
        arguments=[*arguments, "--out", out],
        outputs=[out],
        runconfig=runconfig,
    )
    plan = plan_pipeline(Pipeline(ws, [step]))
    return plan.tasks[0].definition, out


def _context(run_id: str = "manual__1") -> StepContext:
    return StepContext("dag", run_id, "s", params={}, pull_output=lambda *_: None)


def test_runs_with_the_interpreter_and_environment_of_its_run_configuration(source, tmp_path):
    python = tmp_path / "my-python"
    python.symlink_to(sys.executable)
    config = RunConfiguration()
    config.environment.python.interpreter_path = str(python)
    config.environment.environment_variables = {"COLOR": "teal"}
    definition, _ = _definition(source, [], config)
    result = run_python_script_step(definition, _context())
    final = Workspace.current().datastore_root("workspaceblobstore") / result.outputs["out"].path
    seen = json.loads((final / "seen.json").read_text())
    assert seen["executable"] == str(python)
    assert seen["color"] == "teal"
    assert "helper.txt" in seen["files"]
    assert [p.name for p in final.parent.iterdir()] == ["out"]


def test_failure_reports_exit_code_and_stderr_and_publishes_nothing(source):
    definition, _ = _definition(source, ["--fail"])
    with pytest.raises(StepRunError) as failed:
        run_python_script_step(definition, _context("manual__2"))
    assert "exited with code 5" in str(failed.value)
    assert "about to fail" in str(failed.value)
    step_dir = (
        Workspace.current().datastore_root("workspaceblobstore")
        / "pipelinedata"
        / "dag"
        / "manual__2"
        / "s"
    )
    assert not step_dir.exists() or os.listdir(step_dir) == []
