"""Running one CommandStep without Airflow: argv without a shell, programs on PATH or in the
snapshot, references expanded, metrics from a Python script, failures naming the step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Environment, ScriptRunConfig, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import CommandStep
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import OutputReference
from mlpipelines.runtime.command_step import run_command_step
from mlpipelines.runtime.container_step import ENVELOPE_ENV, build_envelope, parse_result_line
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage.data_locations import reference_location

# Written without the executable bit, as a snapshot may hold it.
EMIT = """#!/bin/sh
printf '%s' "$2" > "$1/value.txt"
printf '%s' "$3" > "$1/flag.txt"
"""
SHOW = """import json, os, shutil, sys
from mlpipelines import Run
out = sys.argv[1]
Run.get_context().log("words", len(sys.argv) - 1)
with open(os.path.join(out, "seen.json"), "w") as sink:
    json.dump({"argv": sys.argv[1:], "executable": sys.executable,
               "color": os.environ.get("COLOR"), "param": os.environ.get("AML_PARAMETER_n")},
              sink)
"""
NASTY = "a; touch pwned $(touch pwned2) | cat `id` && echo '\"' > x"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "emit.sh").write_text(EMIT)
    (folder / "show.py").write_text(SHOW)
    return folder


def _run(step: CommandStep, run_id: str, params: dict | None = None):
    definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
    ctx = StepContext("dag", run_id, definition.task_id, params=params or {}, pull_output=None)
    return run_command_step(definition, ctx)


def _published(result, name: str) -> Path:
    return Workspace.current().datastore_root("workspaceblobstore") / result.outputs[name].path


def test_a_snapshot_script_gets_parameter_values_byte_for_byte_without_a_shell(src, tmp_path):
    out = PipelineData("out", datastore=Workspace.current().get_default_datastore())
    value = PipelineParameter(name="value", default_value="plain")
    step = CommandStep(
        name="emit",
        command=["./emit.sh", out, value, "--flag=$AZUREML_DATAREFERENCE_out;x"],
        outputs=[out],
        source_directory=str(src),
    )
    result = _run(step, "manual__emit", {"value": NASTY})
    folder = _published(result, "out")
    assert (folder / "value.txt").read_text() == NASTY
    # The reference in the author's own word became the output's path (no shell: ';x' stays).
    flag = (folder / "flag.txt").read_text()
    assert flag.startswith("--flag=/") and flag.endswith(";x")
    assert not os.access(src / "emit.sh", os.X_OK)  # only the staged copy was made executable


def test_python_on_the_command_is_the_steps_python_with_run_context_and_environment(src):
    out = PipelineData("seen", datastore=Workspace.current().get_default_datastore())
    env = Environment("e")
    env.environment_variables = {"COLOR": "teal"}
    config = ScriptRunConfig(
        source_directory=str(src), command=["python show.py", out, "--n $AML_PARAMETER_n"]
    )
    config.run_config.environment = env
    step = CommandStep(name="show", runconfig=config, outputs=[out], params={"n": 7})
    result = _run(step, "manual__show")
    seen = json.loads((_published(result, "seen") / "seen.json").read_text())
    assert seen["argv"][1:] == ["--n", "7"]
    assert seen["executable"] == os.path.join(os.path.dirname(sys.executable), "python")
    assert seen["color"] == "teal" and seen["param"] == "7"
    assert result.metrics == {"words": 3}


def test_a_missing_program_fails_naming_the_step(src):
    step = CommandStep(name="lost", command="no-such-program --x 1", source_directory=str(src))
    with pytest.raises(StepRunError, match=r"step 'lost': program 'no-such-program' is neither"):
        _run(step, "manual__lost")


def test_a_failing_command_reports_its_exit_code_and_stderr(src):
    step = CommandStep(
        name="fails",
        # Each string of a list is split into words, as Azure ML's shell split them: a
        # script for `bash -c` is quoted to stay one word.
        command=["bash", "-c", "'echo broken >&2; exit 3'"],
        source_directory=str(src),
        allow_reuse=False,
    )
    with pytest.raises(StepRunError) as failed:
        _run(step, "manual__fails")
    assert "step 'fails': command bash -c" in str(failed.value)
    assert "exited with code 3" in str(failed.value) and "broken" in str(failed.value)


def test_a_pod_or_container_runs_a_command_step_through_its_kinds_runner(src):
    out = PipelineData("out", datastore=Workspace.current().get_default_datastore())
    step = CommandStep(
        name="in_pod", command=["./emit.sh", out, "pod;value", "f"], outputs=[out],
        source_directory=str(src),
    )  # fmt: skip
    definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
    ctx = StepContext("containers", "r_cmd", "in_pod", {}, lambda *_: None)
    envelope = {ENVELOPE_ENV: json.dumps(build_envelope(definition, ctx, {}))}
    done = subprocess.run(
        [sys.executable, "-m", "mlpipelines.runtime.container_step"],
        env={**os.environ, **envelope},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = parse_result_line(done.stdout)
    folder = reference_location(OutputReference.from_json(report["outputs"]["out"])).local_path
    assert (folder / "value.txt").read_text() == "pod;value"
