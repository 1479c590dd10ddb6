"""The `mlpipelines` command meets a user's mistakes with one message and exit code 2, never a
traceback: an invalid pipeline, a config without an Airflow URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

INVALID = """from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace
ws = Workspace.from_config()
data = PipelineData("d")
one = PythonScriptStep(name="one", script_name="missing.py", source_directory="src")
two = PythonScriptStep(name="two", script_name="a.py", source_directory="src", inputs=[data])
pipeline = Pipeline(ws, [one, two])
"""


def _mlp(cwd, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPIPELINES_AIRFLOW_")}
    return subprocess.run(
        [sys.executable, "-m", "mlpipelines.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_invalid_pipeline_lists_every_problem_without_a_traceback(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("print('a')\n")
    (tmp_path / "pipeline.py").write_text(INVALID)
    (tmp_path / "config.json").write_text(json.dumps({"airflow_url": "http://127.0.0.1:9"}))
    done = _mlp(tmp_path, "submit", "pipeline.py", "--experiment", "bad id!")
    assert done.returncode == 2, done.stderr
    assert "pipeline is invalid (3 problems)" in done.stderr
    assert "'bad id!' cannot be an Airflow DAG id" in done.stderr
    assert "step 'one': script 'missing.py' is not in source_directory" in done.stderr
    assert "step 'two': PipelineData 'd' is consumed but no step lists it" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_config_without_airflow_url_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"username": "u", "password": "p"}))
    for args in (("runs", "list"), ("trigger", "some_dag")):
        done = _mlp(tmp_path, *args)
        assert done.returncode == 2, done.stderr
        assert "MLPIPELINES_AIRFLOW_URL" in done.stderr
        assert "Traceback" not in done.stderr
