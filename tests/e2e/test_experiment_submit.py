"""Experiment.submit from a client, as old Azure ML code does it: no DAG file to write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import (
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineRun,
)
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e

MAKE = """import os, sys
out = sys.argv[sys.argv.index("--out") + 1]
factor = int(sys.argv[sys.argv.index("--factor") + 1])
with open(os.path.join(out, "n.txt"), "w") as sink:
    sink.write(str(7 * factor))
"""
USE = """import os, sys
from mlpipelines import Run
data = sys.argv[sys.argv.index("--data") + 1]
value = int(open(os.path.join(data, "n.txt")).read())
Run.get_context().log("value", value + OFFSET)
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _pipeline(src: Path, ws: Workspace) -> Pipeline:
    data = PipelineData("number", datastore=ws.get_default_datastore())
    factor = PipelineParameter(name="factor", default_value=2)
    _make = PythonScriptStep(  # joins the pipeline as the producer of `number`
        name="make",
        script_name="make.py",
        source_directory=str(src / "make"),
        arguments=["--out", data, "--factor", factor],
        outputs=[data],
    )
    use = PythonScriptStep(
        name="use",
        script_name="use.py",
        source_directory=str(src / "use"),
        arguments=["--data", data],
        inputs=[data],
    )
    return Pipeline(workspace=ws, steps=[use])


def test_submit_runs_a_pipeline_records_git_and_reuses_unchanged_steps(airflow, tmp_path):
    repo = tmp_path / "project"
    for name, text in (("make", MAKE), ("use", USE.replace("OFFSET", "1"))):
        (repo / "src" / name).mkdir(parents=True)
        (repo / "src" / name / f"{name}.py").write_text(text)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x")
    ws = Workspace.from_config(airflow.home / "config.json")
    experiment = Experiment(ws, "submitted_numbers")

    run = experiment.submit(
        _pipeline(repo / "src", ws), pipeline_parameters={"factor": 3}, tags={"team": "ml"}
    )
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert run.find_step_run("use")[0].get_metrics() == {"value": 22}
    details = run.get_details()
    conf = details["properties"]["conf"]
    assert conf["factor"] == 3 and conf["mlpipelines_tags"] == {"team": "ml"}
    assert conf["mlpipelines_git"]["commit"] == _git(repo, "rev-parse", "HEAD")
    assert conf["mlpipelines_git"]["dirty"] is False
    assert _git(repo, "rev-parse", "HEAD") in details["note"]
    with pytest.raises(UserErrorException, match="unknown parameter"):
        experiment.submit(_pipeline(repo / "src", ws), pipeline_parameters={"factr": 3})
    assert len(airflow.api.list_runs("submitted_numbers")) == 1

    (repo / "src" / "use" / "use.py").write_text(USE.replace("OFFSET", "100"))
    again = experiment.submit(_pipeline(repo / "src", ws), pipeline_parameters={"factor": 3})
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    (make,) = again.find_step_run("make")
    (use,) = again.find_step_run("use")
    assert make.reused and not use.reused
    assert use.get_metrics() == {"value": 121}
    assert again.get_details()["properties"]["conf"]["mlpipelines_git"]["dirty"] is True

    # The first run publishes what it ran, not what was submitted under its name since.
    published = run.publish_pipeline("numbers", description="from a run", version="7")
    assert published.dag_id == "numbers__v7"
    from_published = published.submit(ws, "numbers", pipeline_parameters={"factor": 1})
    assert from_published.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert from_published.find_step_run("use")[0].get_metrics() == {"value": 8}

    untracked = airflow.api.trigger("submitted_numbers", {"factor": 1})["dag_run_id"]
    with pytest.warns(UserWarning, match="records no spec digest"):
        current = PipelineRun(experiment, untracked).publish_pipeline("numbers_now")
    assert current.version == "1"
