"""``mlpipelines validate``: every problem of every pipeline file, and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GOOD = '''"""Airflow DAG good."""
from mlpipelines import Pipeline, PythonScriptStep, Workspace
step = PythonScriptStep(name="a", script_name="a.py", source_directory="src")
dag = Pipeline(Workspace.current(), [step]).to_dag("good")
'''
BAD = '''"""Airflow DAG bad."""
from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace
data = PipelineData("d")
one = PythonScriptStep(name="one", script_name="missing.py", source_directory="src")
two = PythonScriptStep(name="two", script_name="a.py", source_directory="src", inputs=[data])
dag = Pipeline(Workspace.current(), [one, two]).to_dag("bad id!")
'''


def _validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlpipelines.cli.main", "validate", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_lists_every_problem_without_a_traceback(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("print('a')\n")
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    done = _validate(tmp_path / "good.py", tmp_path / "bad.py")
    assert done.returncode == 1
    assert "good.py: ok: good (2 tasks)" in done.stdout
    assert "pipeline is invalid (3 problems)" in done.stderr
    assert "'bad id!' cannot be an Airflow DAG id" in done.stderr
    assert "step 'one': script 'missing.py' is not in source_directory" in done.stderr
    assert "step 'two': PipelineData 'd' is consumed but no step lists it" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_passes_the_example_dags():
    dags = Path(__file__).resolve().parents[2] / "dags"
    done = _validate(*sorted(dags.glob("*.py")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok: ") == len(list(dags.glob("*.py")))
