"""Before a script runs: a private copy of its source folder, its inputs, its output folders."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.runtime.dataset_inputs import (
    dataset_fingerprint,
    materialize,
    write_input_datasets,
)
from mlpipelines.runtime.datastores import datastore_root, reference_root, resolve_reference
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import Snapshot, copy_snapshot


def stage_source(snapshot: Snapshot, work_dir: Path) -> Path:
    """Copy the step's snapshot (its source folder less ignored files) into ``work_dir/source``
    so the run cannot change the original and ignored files never reach it."""
    target = work_dir / "source"
    copy_snapshot(snapshot, target)
    return target


@dataclass
class LocatedInput:
    """Where one input's data is, and the reference it came with (PipelineData only).
    A dataset input has no single path: its fingerprint is taken when it is located."""

    spec: dict[str, Any]
    path: Path | None
    store_root: Path | None
    ref: dict[str, Any] | None = None
    fingerprint: str | None = None


def locate_inputs(definition: dict[str, Any], ctx: StepContext) -> dict[str, LocatedInput]:
    """Each input's place on its datastore; a PipelineData input follows the reference its
    producer pushed (or the reuse sensor handed on). Missing data is a clear error."""
    located: dict[str, LocatedInput] = {}
    for spec in definition["inputs"]:
        ref = None
        if spec["kind"] == "dataset":
            fingerprint = dataset_fingerprint(spec["name"], spec["consumption"])
            located[spec["name"]] = LocatedInput(spec, None, None, fingerprint=fingerprint)
            continue
        if spec["kind"] == "data_reference":
            root = datastore_root(spec["datastore"])
            path = root / spec["path_on_datastore"]
            origin = f"'{spec['datastore']['name']}/{spec['path_on_datastore']}'"
        else:
            ref = ctx.pull_output(spec["producer"], spec["data"])
            if not ref:
                raise StepRunError(
                    f"input '{spec['name']}': step '{spec['producer']}' "
                    f"published no output '{spec['data']}' in this run"
                )
            path = resolve_reference(ref)
            root = reference_root(ref)
            origin = f"'{spec['data']}' from step '{spec['producer']}'"
        if not path.exists():
            raise StepRunError(f"input '{spec['name']}': {origin} does not exist at {path}")
        located[spec["name"]] = LocatedInput(spec, path, root, ref)
    return located


@dataclass
class StagedInputs:
    """What a script is given for its inputs: a value per input (a local path, or a direct
    dataset input's name) and the file ``Run.input_datasets`` reads, if any."""

    values: dict[str, Any]
    datasets_file: Path | None


def stage_inputs(
    located: dict[str, LocatedInput], ctx: StepContext, work_dir: Path
) -> StagedInputs:
    """The local path of each input: on its datastore (mount) or copied into the work dir
    (download); a dataset input in direct mode is its name (the script asks
    ``input_datasets`` for it)."""
    paths: dict[str, Any] = {}
    datasets: dict[str, dict[str, Any]] = {}
    for name, item in located.items():
        if item.path is None:
            paths[name], datasets[name] = materialize(item.spec, work_dir)
            ctx.log.info("dataset input %s (%s): %s", name, item.spec["mode"], paths[name])
            continue
        source = item.path
        if item.spec["mode"] == "download":
            local = work_dir / "inputs" / (item.spec.get("path_on_compute") or name)
            local.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, local)
            else:
                local = local / source.name
                local.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, local)
            source = local
        paths[name] = source
        ctx.log.info("input %s (%s): %s", name, item.spec["mode"], source)
    datasets_file = write_input_datasets(datasets, work_dir) if datasets else None
    return StagedInputs(paths, datasets_file)


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
