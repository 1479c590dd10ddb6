"""A step's artifacts (its logs, its metrics, and what its script wrote to ``./outputs``) kept
on the default datastore after it ends."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlpipelines.records import DatastoreSpec
from mlpipelines.records.reserved import ARTIFACTS_FOLDER
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage.datastores import location_of
from mlpipelines.storage.location import StoreLocation
from mlpipelines.storage.transfer import copy

LOG_FILES = ("stdout.txt", "stderr.txt")


OUTPUTS_FOLDER = "outputs"
"""What a script writes below this folder of its working folder is kept with the run, as Azure
ML uploads ``./outputs`` (``joblib.dump(model, "outputs/model.pkl")``, then
``run.register_model(model_path="outputs/model.pkl")`` or ``run.download_file``)."""


def save_artifacts(
    store: DatastoreSpec,
    ctx: StepContext,
    logs_dir: Path,
    metrics: dict[str, Any],
    script_dir: Path | None = None,
) -> str:
    """Copy stdout/stderr, write metrics.json and copy ``<script_dir>/outputs`` to
    ``artifacts/<dag>/<run>/<task>/`` on the datastore (a local folder or a remote store); the
    folder's URI."""
    location = location_of(store)
    relative = f"{ARTIFACTS_FOLDER}/{ctx.run_folder}/{ctx.task_id}"
    if script_dir is not None and (script_dir / OUTPUTS_FOLDER).is_dir():
        copy(
            StoreLocation.local(script_dir, datastore="local"),
            OUTPUTS_FOLDER,
            location,
            f"{relative}/{OUTPUTS_FOLDER}",
            overwrite=True,
        )
    body = (json.dumps(metrics, indent=2, default=str) + "\n").encode()
    if location.is_local:
        target = Path(location.path(relative))
        target.mkdir(parents=True, exist_ok=True)
        for name in LOG_FILES:
            if (logs_dir / name).is_file():
                shutil.copyfile(logs_dir / name, target / name)
        (target / "metrics.json").write_bytes(body)
    else:
        fs = location.fs
        for name in LOG_FILES:
            if (logs_dir / name).is_file():
                fs.put_file(str(logs_dir / name), location.path(f"{relative}/{name}"))
        fs.pipe_file(location.path(f"{relative}/metrics.json"), body)
    return location.uri(relative)


def save_summary(
    store: DatastoreSpec, ctx: StepContext, lines: list[str], metrics: dict[str, Any]
) -> str:
    """Artifacts of a step that runs no process of its own: ``lines`` become its stdout.txt."""
    logs_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    try:
        (logs_dir / "stdout.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return save_artifacts(store, ctx, logs_dir, metrics)
    finally:
        shutil.rmtree(logs_dir, ignore_errors=True)
