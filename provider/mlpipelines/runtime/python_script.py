"""Run one PythonScriptStep in a task: reuse a cached result, or stage, run, publish, record."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition, reserved
from mlpipelines.records.metrics import read_metrics
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.argument_words import argument_words
from mlpipelines.runtime.artifacts import save_artifacts
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.process import run_process
from mlpipelines.runtime.script_datastores import script_datastores_env
from mlpipelines.runtime.script_environment import script_base_environment
from mlpipelines.runtime.script_secrets import secrets_for_script
from mlpipelines.runtime.staging import (
    LocatedInput,
    PendingOutput,
    prepare_outputs,
    stage_inputs,
    stage_source,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import (
    StepHeld,
    StepResult,
    publish_outputs,
    run_with_reuse,
)

__all__ = ["StagedRun", "StepHeld", "StepResult", "run_python_script_step", "run_staged"]


def run_python_script_step(
    definition: StepDefinition,
    ctx: StepContext,
    interpreter: str | None = None,
    extra_env: dict[str, str] | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else run the script once.

    Raises StepHeld while another run computes the same key, and StepRunError (exit code,
    stderr tail) when the script fails.
    """
    python = interpreter or definition.interpreter or sys.executable

    def argv_for(source: Path, inputs: dict[str, Any], outputs: dict[str, Path]) -> list[str]:
        words = argument_words(definition, ctx.params, inputs, outputs, strict=False)
        return [python, str(definition.script_name), *words]

    return run_with_reuse(
        definition,
        ctx,
        lambda check, located: run_staged(
            definition,
            ctx,
            StagedRun(check, located, argv_for, f"script {definition.script_name}"),
            extra_env,
            on_start,
        ),
    )


@dataclass
class StagedRun:
    """What a process step runs once reuse said it must: its reuse check and located
    inputs, how its argv is made from the staged source folder and the inputs' and outputs'
    local paths, and what it is called in messages (``script train.py``)."""

    check: ReuseCheck
    located: dict[str, LocatedInput]
    argv_for: Callable[[Path, dict[str, Any], dict[str, Path]], list[str]]
    what: str


def run_staged(
    definition: StepDefinition,
    ctx: StepContext,
    run: StagedRun,
    extra_env: dict[str, str] | None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None,
) -> StepResult:
    """Stage the snapshot and inputs in a fresh folder, run the process there with the
    step's environment, keep its logs and metrics, and publish its outputs if it succeeded
    (shared by every step kind that runs a process on the worker)."""
    work_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    pending: list[PendingOutput] = []
    try:
        if run.check.snapshot is None:
            raise StepRunError(f"step '{definition.name}' has no source folder to run")
        source = stage_source(run.check.snapshot, work_dir)
        staged = stage_inputs(run.located, ctx, work_dir)
        inputs = staged.values
        pending = prepare_outputs(definition, ctx)
        output_paths = {p.name: p.temp for p in pending}
        argv = run.argv_for(source, inputs, output_paths)
        metrics_file = work_dir / "metrics.jsonl"
        env = _script_env(definition, ctx, inputs, output_paths, metrics_file, extra_env)
        # The script opens its datastores from these, never through Airflow (no database).
        env.update(script_datastores_env(definition, run.located))
        if staged.datasets_file is not None:
            env[reserved.ENV_INPUT_DATASETS] = str(staged.datasets_file)
        ctx.log.info("running %s in %s", argv, source)
        logs_dir = work_dir / "logs"
        with secrets_for_script(ctx.log) as secrets_env:
            env.update(secrets_env)
            result = run_process(argv, source, env, ctx.log, logs_dir, on_start)
        metrics = read_metrics(metrics_file)
        save_artifacts(definition.default_datastore, ctx, logs_dir, metrics, source)
        if result.returncode != 0:
            tail = "\n".join(result.stderr_tail) or "(no stderr)"
            raise StepRunError(
                f"step '{definition.name}': {run.what} "
                f"exited with code {result.returncode}; last stderr lines:\n{tail}"
            )
        published = publish_outputs(pending)
        pending = []
        return StepResult(published, metrics)
    finally:
        discard_outputs(pending)
        shutil.rmtree(work_dir, ignore_errors=True)


def _script_env(
    definition: StepDefinition,
    ctx: StepContext,
    inputs: dict[str, Any],
    outputs: dict[str, Path],
    metrics_file: Path,
    extra_env: dict[str, str] | None,
) -> dict[str, str]:
    env = script_base_environment()
    env.update(definition.environment_variables)
    env.update(extra_env or {})
    for key, token in definition.params.items():
        env[f"AML_PARAMETER_{key}"] = token.render(ctx.params, inputs, outputs)
    for name, path in {**inputs, **outputs}.items():
        env[f"AZUREML_DATAREFERENCE_{name}"] = str(path)
    env.update(
        {
            reserved.ENV_RUN_ID: ctx.step_run_id,
            reserved.ENV_PARENT_RUN_ID: ctx.parent_run_id,
            reserved.ENV_EXPERIMENT: ctx.dag_id,
            reserved.ENV_STEP_NAME: definition.name,
            reserved.ENV_METRICS_FILE: str(metrics_file),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # A temp folder of its own, removed with the work folder: nothing a killed script left
    # there outlives its task, and it cannot read another step's.
    scratch = metrics_file.parent / "tmp"
    scratch.mkdir(exist_ok=True)
    env.update({"TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)})
    return env
