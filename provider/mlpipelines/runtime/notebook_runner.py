"""Run one NotebookRunnerStep in a task: papermill executes the notebook on a kernel of the
step's Python, the executed notebook is kept beside the step's logs (a failing one too)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition, reserved
from mlpipelines.records.engines import CONTAINER_BACKENDS
from mlpipelines.records.metrics import read_metrics
from mlpipelines.records.notebook import NotebookSettings
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.artifacts import save_artifacts
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.process import run_process
from mlpipelines.runtime.python_script import _script_env
from mlpipelines.runtime.script_datastores import script_datastores_env
from mlpipelines.runtime.script_secrets import secrets_for_script
from mlpipelines.runtime.staging import (
    LocatedInput,
    PendingOutput,
    prepare_outputs,
    stage_inputs,
    stage_source,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, publish_outputs, run_with_reuse
from mlpipelines.storage.datastores import location_of

# The kernel spec each run writes for the step's interpreter, found first on JUPYTER_PATH.
KERNEL_NAME = "mlpipelines-step"
TRACEBACK_LINES = 40
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run_notebook_runner_step(
    definition: StepDefinition,
    ctx: StepContext,
    interpreter: str | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else execute the notebook once.

    Raises StepHeld while another run computes the same key, and StepRunError (the failing
    cell's traceback) when the notebook fails.
    """
    settings = definition.notebook
    if settings is None:
        raise StepRunError(f"step '{definition.name}' has no notebook settings")
    backend = definition.compute.backend if definition.compute else None
    if backend in CONTAINER_BACKENDS:
        raise StepRunError(
            f"step '{definition.name}': a NotebookRunnerStep runs on the Airflow worker; its "
            f"target's {backend} backend is not supported for notebooks yet"
        )
    return run_with_reuse(
        definition,
        ctx,
        lambda check, located: _run_once(
            definition, settings, ctx, check, located, interpreter, on_start
        ),
    )


def notebook_parameters(
    definition: StepDefinition,
    settings: NotebookSettings,
    params: dict[str, Any],
    inputs: dict[str, Any],
    outputs: dict[str, Path],
) -> dict[str, Any]:
    """The notebook's parameters: literals, then each input's and output's local path under
    its name, then the step's pipeline parameters (this run's values, types kept)."""
    values: dict[str, Any] = dict(settings.parameters)
    values.update({name: str(path) for name, path in inputs.items()})
    values.update(
        {name: str(path) for name, path in outputs.items() if name != settings.output_notebook_data}
    )
    for key, token in definition.params.items():
        if token.kind != "value":  # literals keep their type in settings.parameters
            value = token.resolve(params, inputs, outputs)
            values[key] = str(value) if isinstance(value, Path) else value
    return values


def _run_once(
    definition: StepDefinition,
    settings: NotebookSettings,
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
    interpreter: str | None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None,
) -> StepResult:
    work_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    pending: list[PendingOutput] = []
    try:
        if check.snapshot is None:
            raise StepRunError(f"step '{definition.name}' has no source folder to run")
        source = stage_source(check.snapshot, work_dir)
        staged = stage_inputs(located, ctx, work_dir)
        pending = prepare_outputs(definition, ctx)
        output_paths = {p.name: p.temp for p in pending}
        values = notebook_parameters(definition, settings, ctx.params, staged.values, output_paths)
        parameters_file = work_dir / "parameters.json"
        parameters_file.write_text(json.dumps(values), encoding="utf-8")
        jupyter = work_dir / "jupyter"
        kernel = settings.kernel_name or _write_kernel_spec(
            jupyter, interpreter or definition.interpreter or sys.executable
        )
        executed = work_dir / "executed" / settings.output_notebook
        executed.parent.mkdir(parents=True, exist_ok=True)
        metrics_file = work_dir / "metrics.jsonl"
        env = _script_env(definition, ctx, staged.values, output_paths, metrics_file, None)
        # The notebook opens its datastores from these, never through Airflow (no database).
        env.update(script_datastores_env(definition, located))
        if staged.datasets_file is not None:
            env[reserved.ENV_INPUT_DATASETS] = str(staged.datasets_file)
        env.update(_jupyter_env(jupyter, env.get("JUPYTER_PATH")))
        argv = _papermill_argv(definition, settings, source, executed, parameters_file, kernel)
        ctx.log.info("running notebook %s with parameters %s", definition.script_name, values)
        logs_dir = work_dir / "logs"
        # papermill itself runs in the work folder: a module of the user's folder can
        # never shadow papermill's own imports; the kernel runs in the snapshot (--cwd).
        with secrets_for_script(ctx.log) as secrets_env:
            env.update(secrets_env)
            result = run_process(argv, work_dir, env, ctx.log, logs_dir, on_start)
        metrics = read_metrics(metrics_file)
        folder = save_artifacts(definition.default_datastore, ctx, logs_dir, metrics, source)
        if executed.is_file():
            _keep_executed(definition, ctx, executed, settings.output_notebook)
            ctx.log.info("executed notebook kept at %s/%s", folder, settings.output_notebook)
        if result.returncode != 0:
            raise StepRunError(_failure(definition, executed, result.stderr_tail))
        if settings.output_notebook_data is not None:
            target = output_paths[settings.output_notebook_data] / settings.output_notebook
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, target)
        published = publish_outputs(pending)
        pending = []
        return StepResult(published, metrics)
    finally:
        discard_outputs(pending)
        shutil.rmtree(work_dir, ignore_errors=True)


def _papermill_argv(
    definition: StepDefinition,
    settings: NotebookSettings,
    source: Path,
    executed: Path,
    parameters_file: Path,
    kernel: str,
) -> list[str]:
    """papermill's command line: the worker's Python runs papermill, which starts the kernel;
    parameters come from a JSON file (never a shell, never a template)."""
    argv = [
        sys.executable,
        "-m",
        "papermill",
        str(source / str(definition.script_name)),
        str(executed),
        "--parameters_file",
        str(parameters_file),
        "--kernel",
        kernel,
        "--language",
        "python",
        "--cwd",
        str(source),
        # The notebook's own stdout and stderr, as they come, to papermill's (the task log
        # and stdout.txt/stderr.txt) rather than through papermill's logger.
        "--stdout-file",
        "-",
        "--stderr-file",
        "/dev/stderr",
        "--no-progress-bar",
    ]
    if settings.timeout is not None:
        argv += ["--execution-timeout", str(settings.timeout)]
    return argv


def _write_kernel_spec(jupyter: Path, python: str) -> str:
    """A kernel spec that starts ipykernel on ``python`` (the step's interpreter)."""
    folder = jupyter / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "mlpipelines step",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return KERNEL_NAME


def _jupyter_env(jupyter: Path, existing: str | None) -> dict[str, str]:
    """Our kernel spec found first; connection files in the work folder, not the home."""
    path = str(jupyter) if not existing else os.pathsep.join([str(jupyter), existing])
    return {
        "JUPYTER_PATH": path,
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        # debugpy's warning about frozen modules would fill the log at every kernel start.
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def _keep_executed(definition: StepDefinition, ctx: StepContext, executed: Path, name: str) -> None:
    """The executed notebook beside the step's logs: ``artifacts/<dag>/<run>/<task>/<name>``."""
    location = location_of(definition.default_datastore)
    relative = f"{reserved.ARTIFACTS_FOLDER}/{ctx.run_folder}/{ctx.task_id}/{name}"
    if location.is_local:
        target = Path(location.path(relative))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, target)
    else:
        location.fs.put_file(str(executed), location.path(relative))


def _failure(definition: StepDefinition, executed: Path, stderr_tail: list[str]) -> str:
    """Why the notebook failed: its failing cell's traceback, else papermill's last lines."""
    failed = failing_cell(executed)
    if failed is not None:
        where, traceback = failed
        return (
            f"step '{definition.name}': notebook {definition.script_name} failed at "
            f"{where}:\n{traceback}"
        )
    tail = "\n".join(stderr_tail) or "(no stderr)"
    hint = ""
    if "Kernel died" in tail:
        hint = " (its kernel did not start: has the step's Python ipykernel installed?)"
    return (
        f"step '{definition.name}': notebook {definition.script_name} failed{hint}; last "
        f"stderr lines:\n{tail}"
    )


def failing_cell(executed: Path) -> tuple[str, str] | None:
    """The first cell with an error in an executed notebook: where it is (``In [n]`` as
    Jupyter shows it, else ``cell n`` counting from 1) and its traceback without colours."""
    try:
        notebook = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for index, cell in enumerate(notebook.get("cells") or [], start=1):
        for output in cell.get("outputs") or []:
            if output.get("output_type") != "error":
                continue
            lines = _ANSI.sub("", "\n".join(output.get("traceback") or [])).splitlines()
            if not lines:
                lines = [f"{output.get('ename')}: {output.get('evalue')}"]
            count = cell.get("execution_count")
            where = f"In [{count}]" if count else f"cell {index}"
            return where, "\n".join(lines[-TRACEBACK_LINES:])
    return None
