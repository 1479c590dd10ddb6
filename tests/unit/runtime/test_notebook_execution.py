"""Running one NotebookRunnerStep without Airflow: papermill, the kernel, parameters, metrics,
the executed notebook kept, a failing cell's traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlpipelines.azureml.contrib.notebook import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
)
from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.core.runconfig import RunConfiguration
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import OutputReference
from mlpipelines.runtime.notebook_runner import run_notebook_runner_step
from mlpipelines.runtime.step_context import StepContext
from support.notebooks import write_notebook

PARAMETERS = """arg1 = "Azure"
epochs = 1
processed_data = None
notebook_processed_data = None
my_pipeline_param = None
"""
BODY = """import json, os, sys
from mlpipelines.azureml.core import Run
with open(os.path.join(processed_data, "rows.txt")) as f:
    rows = int(f.read())
os.makedirs(notebook_processed_data, exist_ok=True)
with open(os.path.join(notebook_processed_data, "seen.json"), "w") as sink:
    json.dump({"arg1": arg1, "epochs": epochs, "param": my_pipeline_param,
               "kernel": os.environ.get("MY_PYTHON"), "cwd_files": sorted(os.listdir(".")),
               "airflow": sorted(m for m in sys.modules if m.split(".")[0] == "airflow"),
               "color": os.environ.get("COLOR")}, sink)
Run.get_context().log("rows", rows * epochs)
print("trained on", rows, "rows")
"""


def _context(run_id: str, pulled: dict[str, OutputReference]) -> StepContext:
    return StepContext(
        "nbdag",
        run_id,
        "train_notebook",
        params={"pipeline_param": 7},
        pull_output=lambda producer, name: pulled.get(name),
    )


def _upstream(ws: Workspace, run_id: str) -> OutputReference:
    """What a producing step would have published: a folder with rows.txt."""
    relative = f"pipelinedata/nbdag/{run_id}/prepare/processed_data"
    folder = ws.datastore_root("workspaceblobstore") / relative
    folder.mkdir(parents=True)
    (folder / "rows.txt").write_text("21")
    return OutputReference.from_json({"datastore": "workspaceblobstore", "path": relative})


def _plan(src: Path, ws: Workspace, runconfig=None, handler=None):
    processed = PipelineData("processed_data", datastore=ws.get_default_datastore())
    from mlpipelines.azureml.pipeline.steps import PythonScriptStep

    PythonScriptStep(name="prepare", script_name="prep.py", source_directory=str(src),
                     outputs=[processed])  # fmt: skip
    out = PipelineData("notebook_processed_data", datastore=ws.get_default_datastore())
    config = NotebookRunConfig(
        source_directory=str(src),
        notebook="train.ipynb",
        parameters={"arg1": "Machine Learning", "epochs": 3},
        handler=handler or AzureMLNotebookHandler(timeout=120, log_output=True),
        run_config=runconfig,
    )
    step = NotebookRunnerStep(
        name="train_notebook",
        notebook_run_config=config,
        params={"my_pipeline_param": PipelineParameter(name="pipeline_param", default_value=1)},
        inputs=[processed],
        outputs=[out],
        output_notebook_pipeline_data_name="notebook_result",
    )
    plan = plan_pipeline(Pipeline(workspace=ws, steps=[step]))
    return next(t.definition for t in plan.tasks if t.task_id == "train_notebook")


def test_notebook_runs_on_the_step_python_with_data_parameters_and_metrics(tmp_path):
    ws = Workspace.current()
    src = tmp_path / "src"
    write_notebook(src / "train.ipynb", BODY, parameters=PARAMETERS)
    (src / "prep.py").write_text("")
    (src / "helper.txt").write_text("shipped")
    # The step's Python: a wrapper that marks the processes it starts (the kernel).
    python = tmp_path / "my-python"
    python.write_text(f'#!/bin/sh\nMY_PYTHON=yes exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    config = RunConfiguration()
    config.environment.python.interpreter_path = str(python)
    config.environment.environment_variables = {"COLOR": "teal"}
    definition = _plan(src, ws, runconfig=config)

    result = run_notebook_runner_step(
        definition, _context("manual__nb1", {"processed_data": _upstream(ws, "manual__nb1")})
    )

    root = ws.datastore_root("workspaceblobstore")
    seen = json.loads(
        (root / result.outputs["notebook_processed_data"].path / "seen.json").read_text()
    )
    assert seen["arg1"] == "Machine Learning" and seen["epochs"] == 3  # types kept
    assert seen["param"] == 7  # the PipelineParameter's value in this run
    assert seen["kernel"] == "yes" and seen["color"] == "teal"
    assert "helper.txt" in seen["cwd_files"] and seen["airflow"] == []
    assert result.metrics == {"rows": 63}
    artifacts = root / "artifacts" / "nbdag" / "manual__nb1" / "train_notebook"
    executed = json.loads((artifacts / "train.output.ipynb").read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"]["tags"]]
    assert "my_pipeline_param = 7" in "".join(injected[0]["source"])
    assert "trained on 21 rows" in json.dumps(executed)
    assert "trained on 21 rows" in (artifacts / "stdout.txt").read_text()
    published = root / result.outputs["notebook_result"].path / "train.output.ipynb"
    assert json.loads(published.read_text())["cells"] == executed["cells"]


def test_a_failing_cell_fails_the_step_with_its_traceback_and_keeps_the_notebook(tmp_path):
    ws = Workspace.current()
    src = tmp_path / "src"
    failing = BODY + "\ndef check(n):\n    raise ValueError(f'too few rows: {n}')\ncheck(rows)\n"
    write_notebook(src / "train.ipynb", failing, "print('never runs')", parameters=PARAMETERS)
    (src / "prep.py").write_text("")
    definition = _plan(src, ws)

    with pytest.raises(StepRunError) as failed:
        run_notebook_runner_step(
            definition, _context("manual__nb2", {"processed_data": _upstream(ws, "manual__nb2")})
        )

    message = str(failed.value)
    assert "step 'train_notebook': notebook train.ipynb failed at In [3]" in message
    assert "ValueError: too few rows: 21" in message and "check(rows)" in message
    assert "\x1b[" not in message
    root = ws.datastore_root("workspaceblobstore")
    artifacts = root / "artifacts" / "nbdag" / "manual__nb2" / "train_notebook"
    executed = (artifacts / "train.output.ipynb").read_text()
    assert "too few rows" in executed
    assert not (
        root / "pipelinedata" / "nbdag" / "manual__nb2" / "train_notebook"
    ).exists() or not any(
        (root / "pipelinedata" / "nbdag" / "manual__nb2" / "train_notebook").iterdir()
    )
