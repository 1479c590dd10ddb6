"""NotebookRunnerStep on the real Airflow, as the Azure ML notebook-runner sample submits it:
a PythonScriptStep's PipelineData and a PipelineParameter reach the notebook's parameters
cell, its metric reaches the step, the executed notebook is kept; a failing cell fails the
step with its traceback (and the notebook is kept too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpipelines.azureml.contrib.notebook import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
)
from mlpipelines.azureml.core import Datastore, Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import ActivityFailedException
from support.notebooks import write_notebook

pytestmark = pytest.mark.e2e

TRAIN = """import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--output", dest="output")
args = parser.parse_args()
os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "rows.txt"), "w") as sink:
    sink.write("150")
"""
PARAMETERS = """# declaring parameters to override
arg1 = "Azure"
processed_data = None
notebook_processed_data = None
my_pipeline_param = None
"""
BODY = """import json, os, sys
from mlpipelines.azureml.core import Run
print("arg1: %s" % arg1)
with open(os.path.join(processed_data, "rows.txt")) as f:
    rows = int(f.read())
os.makedirs(notebook_processed_data, exist_ok=True)
with open(os.path.join(notebook_processed_data, "seen.json"), "w") as sink:
    json.dump({"arg1": arg1, "param": my_pipeline_param, "rows": rows,
               "airflow": [m for m in sys.modules if m.split(".")[0] == "airflow"]}, sink)
Run.get_context().log("rows_seen", rows * my_pipeline_param)
"""
FAILING = """def check(rows):
    raise ValueError(f"expected more than {rows} rows")
check(int(arg1))
"""


def _sample(src: Path, ws: Workspace) -> Pipeline:
    (src / "train").mkdir(parents=True)
    (src / "train" / "train.py").write_text(TRAIN)
    write_notebook(src / "notebook_runner" / "training_notebook.ipynb", BODY,
                   parameters=PARAMETERS)  # fmt: skip
    blob = Datastore.get(ws, "workspaceblobstore")
    output_data = PipelineData(name="processed_data", datastore=blob)
    python_script_step = PythonScriptStep(
        script_name="train.py",
        arguments=["--output", output_data],
        outputs=[output_data],
        source_directory=str(src / "train"),
        allow_reuse=True,
    )
    handler = AzureMLNotebookHandler(timeout=600, progress_bar=False, log_output=True)
    cfg = NotebookRunConfig(
        source_directory=str(src / "notebook_runner"),
        notebook="training_notebook.ipynb",
        handler=handler,
        parameters={"arg1": "Machine Learning"},
    )
    output_from_notebook = PipelineData(name="notebook_processed_data", datastore=blob)
    my_pipeline_param = PipelineParameter(name="pipeline_param", default_value=1)
    notebook_runner_step = NotebookRunnerStep(
        name="training_notebook_step",
        notebook_run_config=cfg,
        params={"my_pipeline_param": my_pipeline_param},
        inputs=[output_data],
        outputs=[output_from_notebook],
        allow_reuse=True,
        output_notebook_pipeline_data_name="notebook_result",
    )
    assert python_script_step.name == "train.py"
    return Pipeline(workspace=ws, steps=[notebook_runner_step])


def _failing(src: Path, ws: Workspace) -> Pipeline:
    write_notebook(src / "failing" / "check.ipynb", FAILING, "print('never')",
                   parameters='arg1 = "0"\n')  # fmt: skip
    cfg = NotebookRunConfig(
        source_directory=str(src / "failing"), notebook="check.ipynb", parameters={"arg1": "42"}
    )
    step = NotebookRunnerStep(name="check_notebook", notebook_run_config=cfg, allow_reuse=False)
    return Pipeline(workspace=ws, steps=[step])


def test_notebook_step_runs_the_sample_and_a_failing_cell_fails_with_its_traceback(
    airflow, tmp_path
):
    ws = Workspace.from_config(airflow.home / "config.json")
    # Both runs at once: one Airflow start, one wait.
    run = Experiment(ws, "notebook_step_run_example").submit(
        _sample(tmp_path / "src", ws), pipeline_parameters={"pipeline_param": 2}
    )
    failing = Experiment(ws, "notebook_step_failing").submit(_failing(tmp_path / "src", ws))

    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    (step,) = run.find_step_run("training_notebook_step")
    assert step.get_metrics() == {"rows_seen": 300}
    seen_at = step.get_output_data("notebook_processed_data").download(tmp_path / "out")
    seen = json.loads((Path(seen_at) / "seen.json").read_text())
    assert seen == {"arg1": "Machine Learning", "param": 2, "rows": 150, "airflow": []}
    # The executed notebook: an artifact beside the logs, and the sample's PipelineData.
    assert "training_notebook.output.ipynb" in step.get_file_names()
    kept = json.loads(
        Path(
            step.download_file("training_notebook.output.ipynb", str(tmp_path / "nb.ipynb"))
        ).read_text()
    )
    injected = [c for c in kept["cells"] if "injected-parameters" in c["metadata"]["tags"]]
    source = "".join(injected[0]["source"])
    assert 'arg1 = "Machine Learning"' in source and "my_pipeline_param = 2" in source
    assert "arg1: Machine Learning" in json.dumps(kept)
    result_at = step.get_output_data("notebook_result").download(tmp_path / "result")
    assert json.loads((Path(result_at) / "training_notebook.output.ipynb").read_text()) == kept

    with pytest.raises(ActivityFailedException, match="check_notebook"):
        failing.wait_for_completion(show_output=False, timeout_seconds=300)
    (check,) = failing.find_step_run("check_notebook")
    log = check.get_logs()
    assert "step 'check_notebook': notebook check.ipynb failed at In [3]" in log
    assert "ValueError: expected more than 42 rows" in log and "check(int(arg1))" in log
    assert "check.output.ipynb" in check.get_file_names()
