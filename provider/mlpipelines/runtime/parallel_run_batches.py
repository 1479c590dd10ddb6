"""A ParallelRunStep's mapped task: its group of mini-batches run by a pool of worker
processes, each result recorded on the default datastore as it arrives (so a retry redoes
only the mini-batches that have none)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition, reserved
from mlpipelines.reuse.decision import reuse_disabled_reason
from mlpipelines.reuse.mini_batches import MiniBatchStore
from mlpipelines.runtime.parallel_run_plan import MiniBatch, mini_batch_input, settings_of
from mlpipelines.runtime.parallel_run_pool import WorkerPool
from mlpipelines.runtime.script_datastores import script_datastores_env
from mlpipelines.runtime.script_environment import script_base_environment
from mlpipelines.runtime.staging import locate_inputs, stage_inputs, stage_source
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import take_snapshot
from mlpipelines.storage.datastores import source_of
from mlpipelines.storage.deployment import Deployment

FAILED_SHOWN = 20


@dataclass
class GroupSummary:
    """What one mapped task did: mini-batches and items run, failed and already done."""

    mini_batches: int = 0
    processed: int = 0
    failed: list[str] = field(default_factory=list)
    already_done: int = 0

    def describe(self) -> str:
        return (
            f"{self.mini_batches} mini-batches: {self.processed} items processed, "
            f"{len(self.failed)} failed, {self.already_done} mini-batches already done"
        )


def failed_message(step: str, failed: list[str], errors: list[str], threshold: int) -> str:
    """The error of a step over its error threshold: the failed items and the first errors."""
    shown = ", ".join(failed[:FAILED_SHOWN]) + (" ..." if len(failed) > FAILED_SHOWN else "")
    first = "\n".join(errors[:3])
    return (
        f"step '{step}': {len(failed)} items failed, more than error_threshold={threshold}; "
        f"failed items: {shown}" + (f"\nfirst errors:\n{first}" if first else "")
    )


def run_mini_batch_group(
    definition: StepDefinition,
    ctx: StepContext,
    group: list[MiniBatch],
    on_pool: Any = None,
) -> GroupSummary:
    """Run the mini-batches of ``group`` not yet done; StepRunError when this group alone has
    more failed items than the error threshold allows."""
    settings = settings_of(definition)
    store = MiniBatchStore(definition.default_datastore)
    reusable = reuse_disabled_reason(definition, ctx.params) is None
    summary = GroupSummary(mini_batches=len(group))
    done = store.finished([b.key for b in group]) if reusable else [False] * len(group)
    todo = [b for b, finished in zip(group, done, strict=True) if not finished]
    summary.already_done = len(group) - len(todo)
    if not todo:
        ctx.log.info("%s: nothing left to run (%s)", definition.name, summary.describe())
        return summary
    work_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    errors: list[str] = []
    try:
        source = source_of(definition)
        if not source or not definition.script_name:
            raise StepRunError(f"step '{definition.name}' has no entry script to run")
        staged_source = stage_source(take_snapshot(source), work_dir)
        side = definition.with_changes(
            inputs=tuple(i for i in definition.inputs if i.name != settings.mini_batch_input)
        )
        located = locate_inputs(side, ctx)
        values = stage_inputs(located, ctx, work_dir).values
        values[settings.mini_batch_input] = settings.mini_batch_input
        arguments = [t.render(ctx.params, values, {}) for t in definition.arguments]
        env = _worker_env(definition, ctx, work_dir)
        env.update(script_datastores_env(side, located))
        jobs = _jobs(definition, ctx, todo, work_dir, settings.output_action == "append_row")

        def record(reply: dict[str, Any]) -> None:
            summary.processed += int(reply.get("processed", 0))
            if reply.get("ok") and reusable:
                store.save_result(reply)
            else:
                store.save_run_result(ctx.run_folder, definition.task_id, reply)
            if not reply.get("ok"):
                summary.failed += reply.get("failed", [])
                errors.append(f"mini-batch {reply['index']}: {reply.get('error')}")
                ctx.log.warning("mini-batch %s failed: %s", reply["index"], reply.get("error"))

        pool = WorkerPool(
            settings.process_count_per_node,
            definition.script_name,
            arguments,
            staged_source,
            env,
            ctx.log,
            float(settings.run_invocation_timeout),
        )
        if on_pool is not None:
            on_pool(pool)
        pool.run(jobs, record)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    ctx.log.info("%s: %s", definition.name, summary.describe())
    if not settings.tolerates(len(summary.failed)):
        raise StepRunError(
            failed_message(definition.name, summary.failed, errors, settings.error_threshold)
        )
    return summary


def _jobs(
    definition: StepDefinition,
    ctx: StepContext,
    batches: list[MiniBatch],
    work_dir: Path,
    append_row: bool,
) -> list[dict[str, Any]]:
    """What each worker is sent per mini-batch: its files' local paths (remote files are
    downloaded first), or the Parquet file of its rows."""
    spec = mini_batch_input(definition, ctx.params)
    workspace = Deployment.current_knowing(spec.stores)
    jobs = []
    common = {"append_row": append_row}
    if spec.dataset.get("kind") == "tabular":
        import pyarrow.parquet as pq

        from mlpipelines.datasets.tabular_reading import read_definition

        table = read_definition(spec.dataset, workspace)
        folder = work_dir / "mini_batches"
        folder.mkdir()
        for batch in batches:
            assert batch.rows is not None
            path = folder / f"{batch.index}.parquet"
            pq.write_table(table.slice(batch.rows[0], batch.size), path)
            jobs.append(_job(batch, common, input="table", path=str(path)))
        return jobs
    from mlpipelines.datasets.file_access import download_files, selected_files

    local = MiniBatchStore(definition.default_datastore).run_files(
        ctx.run_folder, definition.task_id
    )
    if local and all(name in local for b in batches for name, _ in b.items):
        for batch in batches:
            paths = [local[name] for name, _ in batch.items]
            jobs.append(_job(batch, common, input="files", paths=paths))
        return jobs
    files = {f.name: f for f in selected_files(spec.dataset, workspace)}
    for batch in batches:
        wanted = [files[name] for name, _ in batch.items if name in files]
        if len(wanted) < batch.size:
            raise StepRunError(
                f"step '{definition.name}': files of mini-batch {batch.index} are gone"
            )
        remote = [f for f in wanted if not f.local]
        if remote:
            download_files(remote, str(work_dir / "downloads"), overwrite=True)
        paths = [f.path if f.local else os.path.join(work_dir, "downloads", f.name) for f in wanted]
        jobs.append(_job(batch, common, input="files", paths=paths))
    return jobs


def _job(batch: MiniBatch, common: dict[str, Any], **what: Any) -> dict[str, Any]:
    return {
        "index": batch.index,
        "key": batch.key,
        "labels": batch.labels,
        "size": batch.size,
        **common,
        **what,
    }


def _worker_env(definition: StepDefinition, ctx: StepContext, work_dir: Path) -> dict[str, str]:
    env = script_base_environment()
    env.update(definition.environment_variables)
    env.update(
        {
            reserved.ENV_RUN_ID: ctx.step_run_id,
            reserved.ENV_PARENT_RUN_ID: ctx.parent_run_id,
            reserved.ENV_EXPERIMENT: ctx.dag_id,
            reserved.ENV_STEP_NAME: definition.name,
            reserved.ENV_METRICS_FILE: str(work_dir / "metrics.jsonl"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env
