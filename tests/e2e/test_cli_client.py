"""The `mlpipelines` command as a user runs it from a project folder: render, submit, runs,
publish, pipelines and endpoints, against the real Airflow (auth on)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

PIPELINE = '''"""A one-step pipeline the CLI tests submit, publish and render."""
from mlpipelines import Pipeline, PipelineParameter, PythonScriptStep, Workspace

ws = Workspace.from_config()
word = PipelineParameter(name="word", default_value="abc")
step = PythonScriptStep(
    name="shout",
    script_name="shout.py",
    source_directory="src",
    arguments=["--word", word],
    allow_reuse=False,
)
pipeline = Pipeline(ws, [step])
'''

SCRIPT = """import sys
from mlpipelines import Run
word = sys.argv[2]
print("shouting", word.upper(), flush=True)
Run.get_context().log("length", len(word))
"""


@pytest.fixture
def project(airflow, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "shout.py").write_text(SCRIPT)
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    shutil.copy(airflow.home / "config.json", tmp_path / "config.json")
    return tmp_path


def mlp(project, *args, expect=0, timeout=600):
    done = subprocess.run(
        [sys.executable, "-m", "mlpipelines.cli.main", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == expect, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_submit_watch_list_show_logs(airflow, project):
    out = mlp(
        project,
        "submit",
        "pipeline.py",
        "--experiment",
        "cli_submits",
        "--param",
        "word=quiet",
        "--wait",
    )
    run_id = re.search(r"submitted cli_submits run (\S+)", out).group(1)
    assert "[shout]" in out and "shouting QUIET" in out
    assert "cli_submits run " + run_id + ": Finished" in out

    assert run_id in mlp(project, "runs", "list", "--experiment", "cli_submits")
    shown = mlp(project, "runs", "show", "cli_submits", run_id)
    assert "length=5" in shown and "Finished" in shown
    assert "shouting QUIET" in mlp(
        project, "runs", "logs", "cli_submits", run_id, "--step", "shout"
    )
    assert "Finished" in mlp(project, "runs", "wait", "cli_submits", run_id)

    refused = mlp(
        project,
        "submit",
        "pipeline.py",
        "--experiment",
        "cli_submits",
        "--param",
        "nope=1",
        "--pipeline",
        "missing",
        expect=2,
    )
    assert "no Pipeline named 'missing'" in refused
    misspelt = mlp(
        project,
        "submit",
        "pipeline.py",
        "--experiment",
        "cli_submits",
        "--param",
        "wrod=x",
        expect=2,
    )
    assert "unknown parameter(s) 'wrod'; this pipeline takes: regenerate_outputs, word" in misspelt
    assert len(airflow.api.list_runs("cli_submits")) == 1


def test_render_writes_a_dag_file_airflow_runs(airflow, project):
    target = airflow.dags / "rendered_shout.py"
    out = mlp(project, "render", "pipeline.py", "--dag-id", "rendered_shout", "-o", str(target))
    assert "rendered_shout" in out and target.is_file()
    assert "pipeline.py" in target.read_text()
    airflow.api.wait_for_dag("rendered_shout", timeout=120)
    misspelt = mlp(project, "trigger", "rendered_shout", "--param", "wrod=x", expect=2)
    assert "unknown parameter(s) 'wrod'" in misspelt
    assert airflow.api.list_runs("rendered_shout") == []
    out = mlp(
        project,
        "trigger",
        "rendered_shout",
        "--param",
        "word=$(id)",
        "--conf",
        '{"mlpipelines_tags": {"by": "cli"}, "regenerate_outputs": true}',
        "--wait",
    )
    assert "length=5" in out


def test_publish_pipelines_and_endpoints(project):
    out = mlp(project, "publish", "pipeline.py", "--name", "cli_pub", "--endpoint", "cli_ep")
    first = re.search(r"published cli_pub v1: id (\S+)", out).group(1)
    assert "endpoint cli_ep created" in out
    out = mlp(project, "publish", "pipeline.py", "--name", "cli_pub", "--endpoint", "cli_ep")
    second = re.search(r"published cli_pub v2: id (\S+)", out).group(1)
    assert "version 1 is the default" in out

    listed = mlp(project, "pipelines", "list")
    assert first in listed and second in listed
    shown = mlp(project, "endpoints", "show", "cli_ep")
    assert re.search(r"1\s+│\s+\*\s+│\s+cli_pub v2", shown), shown
    mlp(project, "endpoints", "set-default", "cli_ep", "0")
    assert re.search(r"0\s+│\s+\*\s+│\s+cli_pub v1", mlp(project, "endpoints", "show", "cli_ep"))
    assert "no version '9'" in mlp(project, "endpoints", "set-default", "cli_ep", "9", expect=2)

    mlp(project, "endpoints", "disable", "cli_ep")
    assert "cli_ep" not in mlp(project, "endpoints", "list")
    assert "cli_ep" in mlp(project, "endpoints", "list", "--all")
    mlp(project, "endpoints", "enable", "cli_ep")
    mlp(project, "pipelines", "disable", first)
    assert first not in mlp(project, "pipelines", "list")
    mlp(project, "pipelines", "enable", first)
    assert first in mlp(project, "pipelines", "list")
    # Publishing a version again is a new published pipeline (as in Azure ML).
    again = mlp(project, "publish", "pipeline.py", "--name", "cli_pub", "--version", "2")
    assert re.search(r"published cli_pub v2: id (\S+)", again).group(1) != second

    out = mlp(
        project,
        "pipelines",
        "submit",
        first,
        "--experiment",
        "cli_runs",
        "--param",
        "word=hello",
        "--wait",
    )
    assert "cli_pub__v1 run " in out and ": Finished" in out and "[shout]" in out
    out = mlp(
        project, "endpoints", "submit", "cli_ep", "--experiment", "cli_runs", "--version", "1"
    )
    assert re.search(r"submitted cli_pub__v2 run \S+", out), out
    refused = mlp(
        project,
        "endpoints",
        "submit",
        "cli_ep",
        "--experiment",
        "x",
        "--param",
        "wrod=1",
        expect=2,
    )
    assert "unknown parameter(s) 'wrod'" in refused
