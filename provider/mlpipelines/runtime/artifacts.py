"""A step's artifacts (its logs and metrics) kept on the default datastore after it ends."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlpipelines.runtime.datastores import datastore_root
from mlpipelines.runtime.step_context import StepContext


def save_artifacts(
    store: dict[str, Any], ctx: StepContext, logs_dir: Path, metrics: dict[str, Any]
) -> Path:
    """Copy stdout/stderr and write metrics.json to ``artifacts/<dag>/<run>/<task>/``."""
    target = datastore_root(store) / "artifacts" / ctx.run_folder / ctx.task_id
    target.mkdir(parents=True, exist_ok=True)
    for name in ("stdout.txt", "stderr.txt"):
        if (logs_dir / name).is_file():
            shutil.copyfile(logs_dir / name, target / name)
    (target / "metrics.json").write_text(
        json.dumps(metrics, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return target


def save_summary(
    store: dict[str, Any], ctx: StepContext, lines: list[str], metrics: dict[str, Any]
) -> Path:
    """Artifacts of a step that runs no process of its own: ``lines`` become its stdout.txt."""
    logs_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    try:
        (logs_dir / "stdout.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return save_artifacts(store, ctx, logs_dir, metrics)
    finally:
        shutil.rmtree(logs_dir, ignore_errors=True)
