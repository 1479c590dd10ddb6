"""Generated DAG files for the benchmarks: an N-step pipeline and its hand-written twin."""

from __future__ import annotations

from pathlib import Path

STEP_SCRIPT = '''"""A trivial step: read the previous output (if any), write one small file."""
import os
import sys

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
data = ""
if "--in" in args:
    with open(os.path.join(args["--in"], "value.txt")) as source:
        data = source.read()
os.makedirs(args["--out"], exist_ok=True)
with open(os.path.join(args["--out"], "value.txt"), "w") as sink:
    sink.write(data + "x")
'''


def write_step_script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "step.py").write_text(STEP_SCRIPT)
    return folder


def pipeline_dag_file(dag_id: str, n: int, source_dir: Path) -> str:
    """A DAG file building an n-step chain pipeline: step i reads step i-1's PipelineData."""
    return f'''"""Airflow DAG {dag_id}: a {n}-step chain pipeline (generated)."""
from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace

ws = Workspace.current()
store = ws.get_default_datastore()
steps = []
previous = None
for i in range({n}):
    out = PipelineData(f"out_{{i}}", datastore=store)
    args = ["--out", out] if previous is None else ["--in", previous, "--out", out]
    steps.append(PythonScriptStep(
        name=f"step_{{i}}", script_name="step.py", source_directory={str(source_dir)!r},
        arguments=args, inputs=[] if previous is None else [previous], outputs=[out],
    ))
    previous = out
dag = Pipeline(ws, steps).to_dag({dag_id!r})
'''


def bash_dag_file(
    dag_id: str, n: int, source_dir: Path, data_dir: Path, params: bool = False
) -> str:
    """The hand-written twin: n BashOperators running the same script in a chain; with
    ``params``, it also declares the boolean Param every pipeline DAG has
    (``regenerate_outputs``), so both DAGs offer the same trigger form and REST conf."""
    declared = '{"regenerate_outputs": Param(False, type="boolean")}' if params else "{}"
    return f'''"""Airflow DAG {dag_id}: a {n}-task BashOperator chain (hand-written style)."""
import sys

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

script = {str(source_dir / "step.py")!r}
data = {str(data_dir)!r} + "/{{{{ run_id }}}}"
with DAG({dag_id!r}, schedule=None, params={declared}) as dag:
    previous = None
    for i in range({n}):
        command = f"{{sys.executable}} {{script}} --out {{data}}/{{i}}"
        if previous is not None:
            command = f"{{sys.executable}} {{script}} --in {{data}}/{{i - 1}} --out {{data}}/{{i}}"
        task = BashOperator(task_id=f"step_{{i}}", bash_command=command)
        if previous is not None:
            previous >> task
        previous = task
'''
