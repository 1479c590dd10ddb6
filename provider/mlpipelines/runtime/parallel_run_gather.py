"""A ParallelRunStep's gathering task: every mini-batch's result collected, the error
threshold applied, ``append_row`` rows written to the output, and the step's summary logged
and kept as its metrics. It runs under ``run_with_reuse`` like any step, so the whole step
is reused (and skipped by the reuse sensor) while its input and code are unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition
from mlpipelines.reuse.decision import ReuseCheck, reuse_disabled_reason
from mlpipelines.reuse.mini_batches import EarlierBatch, MiniBatchStore, layout_key
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.parallel_run_batches import failed_message
from mlpipelines.runtime.parallel_run_plan import (
    MiniBatch,
    mini_batch_input,
    settings_of,
    step_code_key,
)
from mlpipelines.runtime.staging import LocatedInput, PendingOutput, prepare_outputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, publish_outputs, run_with_reuse


def run_parallel_run_step(
    definition: StepDefinition,
    ctx: StepContext,
    batches: list[dict[str, Any]] | None,
    input_fingerprint: str | None = None,
) -> StepResult:
    """Reuse the whole step's earlier result if its key has one; else gather this run's
    mini-batches (``batches``: what the planning task pushed, with ``input_fingerprint``,
    the fingerprint of the files it split, so they are not all looked at again)."""
    known = {}
    if input_fingerprint:
        known[settings_of(definition).mini_batch_input] = input_fingerprint
    return run_with_reuse(
        definition,
        ctx,
        lambda check, located: _gather(definition, ctx, check, located, batches),
        known,
    )


def _results(
    definition: StepDefinition, ctx: StepContext, batches: list[MiniBatch]
) -> list[dict[str, Any]]:
    """Each mini-batch's result: this run's own record, else the cache; a mini-batch with
    neither failed (its mapped task never finished it)."""
    store = MiniBatchStore(definition.default_datastore)
    keys = [batch.key for batch in batches]
    cached = store.results(keys) if reuse_disabled_reason(definition, ctx.params) is None else {}
    own = store.run_results(
        ctx.run_folder, definition.task_id, [k for k in keys if k not in cached]
    )
    found = []
    for batch in batches:
        result = cached.get(batch.key) or own.get(batch.key)
        if result is None:
            result = {
                "index": batch.index,
                "ok": False,
                "processed": 0,
                "failed": batch.labels,
                "rows": [],
                "error": "no result: its mapped task did not finish it",
            }
        found.append(result)
    return found


def _gather(
    definition: StepDefinition,
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
    planned: list[dict[str, Any]] | None,
) -> StepResult:
    if planned is None:
        raise StepRunError(f"step '{definition.name}': its planning task pushed no mini-batches")
    settings = settings_of(definition)
    batches = [MiniBatch.from_json(b) for b in planned]
    results = _results(definition, ctx, batches)
    failed = [item for r in results for item in r.get("failed", [])]
    failed_count = sum(int(r.get("failed_count", len(r.get("failed", [])))) for r in results)
    reused = sum(b.size for b in batches if b.cached)
    metrics = {
        "mini_batches": len(batches),
        "items": sum(b.size for b in batches),
        "processed_items": sum(int(r.get("processed", 0)) for r in results),
        "failed_items": failed_count,
        "reused_items": reused,
        "run_items": sum(b.size for b in batches if not b.cached),
    }
    ctx.log.info(
        "%s: %d mini-batches, %d items: %d processed (%d reused from earlier runs, %d run "
        "now), %d failed",
        definition.name,
        metrics["mini_batches"],
        metrics["items"],
        metrics["processed_items"],
        reused,
        metrics["run_items"],
        failed_count,
    )
    if not settings.tolerates(failed_count):
        errors = [f"mini-batch {r['index']}: {r.get('error')}" for r in results if not r.get("ok")]
        raise StepRunError(
            failed_message(definition.name, failed, errors, settings.error_threshold)
        )
    pending: list[PendingOutput] = []
    try:
        pending = prepare_outputs(definition, ctx)
        if settings.output_action == "append_row":
            for output in pending:
                _write_rows(output.temp / settings.append_row_file_name, results)
        published = publish_outputs(pending)
        pending = []
    finally:
        discard_outputs(pending)
    done = [
        EarlierBatch(b.key, [n for n, _ in b.items], [f for _, f in b.items])
        for b, r in zip(batches, results, strict=True)
        if r.get("ok") and b.items
    ]
    if reuse_disabled_reason(definition, ctx.params) is None and done:
        code = step_code_key(definition, ctx.params, check.snapshot)
        spec = mini_batch_input(definition, ctx.params)
        layout = layout_key(code, settings_of(definition).mini_batch_size, spec.dataset)
        MiniBatchStore(definition.default_datastore).save_layout(layout, done)
    return StepResult(published, metrics)


def _write_rows(path: Path, results: list[dict[str, Any]]) -> None:
    """Every mini-batch's rows in mini-batch order, one per line (the output folder is
    private until it is published, so no reader sees it half-written)."""
    with open(path, "w", encoding="utf-8") as sink:
        for result in sorted(results, key=lambda r: int(r["index"])):
            rows = result.get("rows")
            if rows:
                sink.write("\n".join(map(str, rows)) + "\n")
