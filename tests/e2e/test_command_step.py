"""CommandSteps on the real Airflow, as the CommandStep samples write them: a shell script's
output read by ``python x.py``, a parameter set through the REST conf arriving byte for byte,
metrics from Run.get_context(), logs kept, and both steps reused on a second run."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Experiment, ScriptRunConfig, Workspace
from mlpipelines.azureml.pipeline.core import (
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineRun,
)
from mlpipelines.azureml.pipeline.steps import CommandStep

pytestmark = pytest.mark.e2e

# Not executable on disk: the step's staged copy is made so.
MAKE = """#!/bin/sh
set -eu
printf '%s' "$2" > "$1/value.txt"
echo "made in $(basename "$PWD")"
"""
USE = """import argparse, os
from mlpipelines.azureml.core import Run
parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--label")
args = parser.parse_args()
value = open(os.path.join(args.data, "value.txt")).read()
print("got:" + value + ":" + args.label)
Run.get_context().log("length", len(value))
"""
NASTY = "x; touch pwned $(touch pwned2) | cat `id` && echo '\"'"


def _pipeline(src: Path, ws: Workspace) -> Pipeline:
    data = PipelineData("value", datastore=ws.get_default_datastore())
    value = PipelineParameter(name="value", default_value="plain")
    make = CommandStep(
        name="make",
        command=["./make.sh", data, value],
        outputs=[data],
        source_directory=str(src / "make"),
    )
    use_config = ScriptRunConfig(
        source_directory=str(src / "use"),
        command=f"python use.py --data {data} --label 'a b;c'",
    )
    use = CommandStep(name="use", runconfig=use_config, inputs=[data])
    return Pipeline(workspace=ws, steps=[make, use])


def test_shell_then_python_commands_with_rest_conf_and_reuse(airflow, tmp_path):
    for name, file, text in (("make", "make.sh", MAKE), ("use", "use.py", USE)):
        (tmp_path / name).mkdir()
        (tmp_path / name / file).write_text(text)
    ws = Workspace.from_config(airflow.home / "config.json")

    # Submitted with its default, then triggered through REST with the value in the conf.
    experiment = Experiment(ws, "e2e_command_steps")
    first = experiment.submit(_pipeline(tmp_path, ws))
    assert first.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert first.find_step_run("use")[0].get_metrics() == {"length": len("plain")}
    run, tis = airflow.run("e2e_command_steps", {"value": NASTY})
    assert run["state"] == "success", tis
    assert {t: tis[t]["state"] for t in ("make", "use")} == {"make": "success", "use": "success"}
    stdout = airflow.artifact("e2e_command_steps", run["dag_run_id"], "use", "stdout.txt")
    assert stdout.read_text().strip() == f"got:{NASTY}:a b;c"
    made = airflow.artifact("e2e_command_steps", run["dag_run_id"], "make", "stdout.txt")
    assert made.read_text().strip() == "made in source"

    again, tis = airflow.run("e2e_command_steps", {"value": NASTY})
    assert again["state"] == "success", tis
    assert {t: tis[t]["state"] for t in ("make", "use")} == {"make": "skipped", "use": "skipped"}
    (use,) = PipelineRun(experiment, again["dag_run_id"]).find_step_run("use")
    assert use.reused and use.get_metrics() == {"length": len(NASTY)}
