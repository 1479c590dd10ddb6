"""Before a script runs: a private copy of its source folder, its inputs, its output folders."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.runtime.datastores import datastore_root, resolve_reference
from mlpipelines.runtime.step_context import StepContext

_NEVER_STAGED = shutil.ignore_patterns("__pycache__", "*.pyc", ".git")


def stage_source(source_directory: str, work_dir: Path) -> Path:
    """Copy the step's source folder into ``work_dir/source`` so the run cannot change it."""
    src = Path(source_directory)
    if not src.is_dir():
        raise StepRunError(f"source_directory '{src}' does not exist on this worker")
    target = work_dir / "source"
    shutil.copytree(src, target, ignore=_NEVER_STAGED, symlinks=True)
    return target


def stage_inputs(definition: dict[str, Any], ctx: StepContext, work_dir: Path) -> dict[str, Path]:
    """The local path of each input: on its datastore (mount) or copied into the work dir
    (download). A PipelineData input follows the reference its producer pushed to XCom."""
    paths: dict[str, Path] = {}
    for spec in definition["inputs"]:
        if spec["kind"] == "data_reference":
            source = datastore_root(spec["datastore"]) / spec["path_on_datastore"]
            origin = f"'{spec['datastore']['name']}/{spec['path_on_datastore']}'"
        else:
            ref = ctx.pull_output(spec["producer"], spec["data"])
            if not ref:
                raise StepRunError(
                    f"input '{spec['name']}': step '{spec['producer']}' "
                    f"published no output '{spec['data']}' in this run"
                )
            source = resolve_reference(ref)
            origin = f"'{spec['data']}' from step '{spec['producer']}'"
        if not source.exists():
            raise StepRunError(f"input '{spec['name']}': {origin} does not exist at {source}")
        if spec["mode"] == "download":
            local = work_dir / "inputs" / (spec.get("path_on_compute") or spec["name"])
            local.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, local)
            else:
                local = local / source.name
                local.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, local)
            source = local
        paths[spec["name"]] = source
        ctx.log.info("input %s (%s): %s", spec["name"], spec["mode"], source)
    return paths


@dataclass
class PendingOutput:
    """An output being written: the script writes ``temp``; publishing renames it to ``final``."""

    name: str
    store: dict[str, Any]
    relative_path: str
    final: Path
    temp: Path


def prepare_outputs(definition: dict[str, Any], ctx: StepContext) -> list[PendingOutput]:
    """A fresh hidden folder per output beside its final place on the datastore, so publishing
    is a single rename and nothing half-written ever sits where a reader looks."""
    pending = []
    for spec in definition["outputs"]:
        relative = f"pipelinedata/{ctx.run_folder}/{ctx.task_id}/{spec['name']}"
        final = datastore_root(spec["datastore"]) / relative
        temp = final.parent / f".{final.name}.partial-{uuid.uuid4().hex[:12]}"
        temp.mkdir(parents=True)
        pending.append(PendingOutput(spec["name"], spec["datastore"], relative, final, temp))
    return pending
