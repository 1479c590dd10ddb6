"""Run one PythonScriptStep in a task: reuse a cached result, or stage, run, publish, record."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.reuse.decision import ReuseCheck, check_reuse, reuse_disabled_reason
from mlpipelines.reuse.fingerprints import fingerprint_path
from mlpipelines.reuse.store import Holder, Manifest, ReuseStore
from mlpipelines.runtime import run_context
from mlpipelines.runtime.artifacts import save_artifacts
from mlpipelines.runtime.heartbeat import keep_marker_alive
from mlpipelines.runtime.metrics import read_metrics
from mlpipelines.runtime.outputs import discard_outputs, publish_output
from mlpipelines.runtime.process import run_process
from mlpipelines.runtime.staging import (
    LocatedInput,
    PendingOutput,
    locate_inputs,
    prepare_outputs,
    stage_inputs,
    stage_source,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import tree_fingerprint


class StepHeld(Exception):
    """Another run is computing this step's key right now; try again once it is done."""

    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        super().__init__(
            f"run {holder.run_id} of {holder.dag_id} ({holder.task_id}) is computing the same key"
        )


@dataclass
class StepResult:
    """What a finished step hands on: a reference per output, its metrics, and whether it
    was reused from an earlier run (then ``reused`` is that run's manifest)."""

    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    reused: Manifest | None = None
    check: ReuseCheck | None = None


def parameter_value(name: str, params: dict[str, Any]) -> Any:
    if name not in params:
        raise StepRunError(f"pipeline parameter '{name}' has no value in this run")
    return params[name]


def render_token(
    token: dict[str, Any], params: dict[str, Any], inputs: dict[str, Path], outputs: dict[str, Path]
) -> str:
    """One argv entry or env value: a literal, a parameter's value, or a data path.

    Values are used as they are: no shell, no template engine sees them.
    """
    if "parameter" in token:
        return str(parameter_value(token["parameter"], params))
    if "input" in token:
        return str(inputs[token["input"]])
    if "output" in token:
        return str(outputs[token["output"]])
    return str(token["value"])


def input_fingerprints(located: dict[str, LocatedInput]) -> dict[str, str]:
    """Each input's fingerprint: the one its producer recorded, else its content hash."""
    found = {}
    for name, item in located.items():
        recorded = item.ref.get("fingerprint") if item.ref else None
        found[name] = recorded or fingerprint_path(item.path)
    return found


def run_python_script_step(
    definition: dict[str, Any],
    ctx: StepContext,
    interpreter: str | None = None,
    extra_env: dict[str, str] | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else run the script once.

    Raises StepHeld while another run computes the same key, and StepRunError (exit code,
    stderr tail) when the script fails.
    """
    located = locate_inputs(definition, ctx)
    store = ReuseStore(definition["default_datastore"])
    check = check_reuse(
        definition, ctx.params, input_fingerprints(located), store, ctx.dag_id, ctx.task_id
    )
    for warning in check.warnings:
        ctx.log.warning("%s", warning)
    if check.reused:
        return _reused(check, ctx)
    ctx.log.info("step %s %s (key %s)", definition["name"], check.summary(), check.key)
    reusable = reuse_disabled_reason(definition, ctx.params) != "allow_reuse=False"
    me = Holder(ctx.dag_id, ctx.run_id, ctx.task_id)
    if reusable:
        other = store.claim(check.key, me)
        if other is not None:
            raise StepHeld(other)
    try:
        if reusable and reuse_disabled_reason(definition, ctx.params) is None:
            # Another run may have finished this key between our look and our claim.
            manifest, _ = store.load_manifest(check.key)
            if manifest is not None:
                check.manifest = manifest
                return _reused(check, ctx)
        with keep_marker_alive(store, check.key, me, enabled=reusable):
            result = _run_once(definition, ctx, check, located, interpreter, extra_env, on_start)
        if reusable:
            store.write_manifest(
                Manifest(
                    check.key, ctx.dag_id, ctx.run_id, ctx.task_id, result.outputs, result.metrics
                )
            )
        store.record_step(
            ctx.dag_id, ctx.task_id, check.key, check.components, check.snapshot.files
        )
        result.check = check
        return result
    finally:
        if reusable:
            store.release(check.key, me)


def _reused(check: ReuseCheck, ctx: StepContext) -> StepResult:
    manifest = check.manifest
    ctx.log.info(
        "reused from run %s of %s, step %s (key %s)",
        manifest.run_id,
        manifest.dag_id,
        manifest.task_id,
        check.key,
    )
    return StepResult(manifest.outputs, manifest.metrics, reused=manifest, check=check)


def _run_once(
    definition: dict[str, Any],
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
    interpreter: str | None,
    extra_env: dict[str, str] | None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None,
) -> StepResult:
    work_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    pending: list[PendingOutput] = []
    try:
        source = stage_source(check.snapshot, work_dir)
        inputs = stage_inputs(located, ctx, work_dir)
        pending = prepare_outputs(definition, ctx)
        output_paths = {p.name: p.temp for p in pending}
        argv = [
            interpreter or definition.get("interpreter") or sys.executable,
            definition["script_name"],
            *(render_token(t, ctx.params, inputs, output_paths) for t in definition["arguments"]),
        ]
        metrics_file = work_dir / "metrics.jsonl"
        env = _script_env(definition, ctx, inputs, output_paths, metrics_file, extra_env)
        ctx.log.info("running %s in %s", argv, source)
        logs_dir = work_dir / "logs"
        result = run_process(argv, source, env, ctx.log, logs_dir, on_start)
        metrics = read_metrics(metrics_file)
        save_artifacts(definition["default_datastore"], ctx, logs_dir, metrics)
        if result.returncode != 0:
            tail = "\n".join(result.stderr_tail) or "(no stderr)"
            raise StepRunError(
                f"step '{definition['name']}': script {definition['script_name']} "
                f"exited with code {result.returncode}; last stderr lines:\n{tail}"
            )
        published = {}
        for output in pending:
            ref = publish_output(output)
            # Fresh bytes: hashed once, no stat cache (files this new are never cached).
            ref["fingerprint"] = tree_fingerprint(output.final)
            published[output.name] = ref
        pending = []
        return StepResult(published, metrics)
    finally:
        discard_outputs(pending)
        shutil.rmtree(work_dir, ignore_errors=True)


def _script_env(
    definition: dict[str, Any],
    ctx: StepContext,
    inputs: dict[str, Path],
    outputs: dict[str, Path],
    metrics_file: Path,
    extra_env: dict[str, str] | None,
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(definition.get("environment_variables") or {})
    env.update(extra_env or {})
    for key, token in definition["params"].items():
        env[f"AML_PARAMETER_{key}"] = render_token(token, ctx.params, inputs, outputs)
    for name, path in {**inputs, **outputs}.items():
        env[f"AZUREML_DATAREFERENCE_{name}"] = str(path)
    env.update(
        {
            run_context.ENV_RUN_ID: ctx.step_run_id,
            run_context.ENV_PARENT_RUN_ID: ctx.parent_run_id,
            run_context.ENV_EXPERIMENT: ctx.dag_id,
            run_context.ENV_STEP_NAME: definition["name"],
            run_context.ENV_METRICS_FILE: str(metrics_file),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env
