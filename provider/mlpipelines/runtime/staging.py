"""Before a script runs: a private copy of its source folder, its inputs, its output folders."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipelines._naming import path_safe
from mlpipelines.datasets.dataset_parameters import resolve_dataset_input
from mlpipelines.datasets.input_fingerprints import dataset_fingerprint
from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import (
    DataPathInput,
    DataReferenceOutput,
    DatasetInput,
    DatastoreSpec,
    PipelineDataInput,
    PipelineDataOutput,
    StepDefinition,
)
from mlpipelines.records.reserved import PIPELINE_DATA_FOLDER
from mlpipelines.runtime.dataset_inputs import (
    materialize,
    output_as_dataset,
    write_input_datasets,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import Snapshot, copy_snapshot
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.data_locations import (
    LocatedInput,
    input_location,
    reference_location,
)
from mlpipelines.storage.datastores import location_of
from mlpipelines.storage.location import DatastoreAccessError


def stage_source(snapshot: Snapshot, work_dir: Path) -> Path:
    """Copy the step's snapshot (its source folder less ignored files) into ``work_dir/source``
    so the run cannot change the original and ignored files never reach it."""
    target = work_dir / "source"
    copy_snapshot(snapshot, target)
    return target


def locate_inputs(
    definition: StepDefinition,
    ctx: StepContext,
    known_fingerprints: Mapping[str, str] | None = None,
) -> dict[str, LocatedInput]:
    """Each input's place on its datastore; a PipelineData input follows the reference its
    producer pushed (or the reuse sensor handed on). An unknown datastore, a store that
    refuses us or missing data is a clear error before anything runs (except a missing
    DataReference or DataPath mounted from a local folder: Azure ML hands its path over
    all the same). A dataset input named in ``known_fingerprints`` is not looked at again."""
    known = known_fingerprints or {}
    located: dict[str, LocatedInput] = {}
    for spec in definition.inputs:
        name = spec.name
        if isinstance(spec, DatasetInput):
            spec = resolve_dataset_input(spec, ctx.params)
            fingerprint = known.get(name) or dataset_fingerprint(spec)
            located[name] = LocatedInput(spec, None, fingerprint=fingerprint)
            continue
        ref = None
        try:
            if isinstance(spec, PipelineDataInput):
                ref = ctx.pull_output(spec.producer, spec.data)
                if not ref:
                    raise StepRunError(
                        f"input '{name}': step '{spec.producer}' "
                        f"published no output '{spec.data}' in this run"
                    )
                data = reference_location(ref)
                origin = f"'{spec.data}' from step '{spec.producer}'"
            else:
                data = input_location(spec, ctx.params)
                origin = data.describe()
                if isinstance(spec, DataPathInput):
                    origin += f" (parameter '{spec.parameter}')"
            exists = data.exists()
        except (UserErrorException, DatastoreAccessError) as exc:
            raise StepRunError(f"input '{name}': {exc}") from None
        if not exists and ref is None and spec.mode == "mount" and data.local_path is not None:
            # Azure ML mounts the datastore and hands the script the path, there or not; a
            # remote store has no mount here (its data is downloaded), so it stays an error.
            ctx.log.warning(
                "input %s: %s does not exist at %s; the script gets its path anyway, as a "
                "mount in Azure ML does",
                name,
                origin,
                data.uri(),
            )
            located[name] = LocatedInput(spec, data, fingerprint=f"absent:{data.uri()}")
            continue
        if not exists:
            raise StepRunError(f"input '{name}': {origin} does not exist at {data.uri()}")
        located[name] = LocatedInput(spec, data, ref)
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
        if item.data is None:
            assert isinstance(item.spec, DatasetInput)
            paths[name], datasets[name] = materialize(item.spec, work_dir)
            ctx.log.info("dataset input %s (%s): %s", name, item.spec.mode, paths[name])
            continue
        if isinstance(item.spec, PipelineDataInput) and item.spec.reader and item.ref:
            paths[name], datasets[name] = output_as_dataset(item.spec, item.ref)
            ctx.log.info("input %s (tabular dataset of %s)", name, item.ref.uri)
            continue
        if item.spec.mode == "direct":
            paths[name] = item.path if item.path is not None else item.data.uri()
            ctx.log.info("input %s (direct): %s", name, paths[name])
            continue
        if item.path is None:
            # A remote store has no local path: mount falls back to a download.
            local = work_dir / "inputs" / (item.spec.path_on_compute or name)
            try:
                paths[name] = item.data.fetch(local)
            except DatastoreAccessError as exc:
                raise StepRunError(f"input '{name}': {exc}") from None
            ctx.log.info(
                "input %s (%s, downloaded from %s): %s",
                name,
                item.spec.mode,
                item.data.uri(),
                paths[name],
            )
            continue
        source = item.path
        if item.spec.mode == "download":
            local = work_dir / "inputs" / (item.spec.path_on_compute or name)
            local.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, local)
            else:
                local = local / source.name
                local.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, local)
            source = local
        paths[name] = source
        ctx.log.info("input %s (%s): %s", name, item.spec.mode, source)
    datasets_file = write_input_datasets(datasets, work_dir) if datasets else None
    return StagedInputs(paths, datasets_file)


@dataclass
class PendingOutput:
    """An output being written: the script writes ``temp``; publishing renames it to
    ``final`` on a local folder, or uploads it to ``relative_path`` on a remote store."""

    name: str
    store: DatastoreSpec
    relative_path: str
    final: Path | None
    temp: Path
    location: StoreLocation | None = None
    uploading: bool = False
    fixed: bool = False  # a DataReference output: a user-visible place, filled via staging
    # Written in place by an engine elsewhere (Databricks): nothing to upload, only to check.
    written_remotely: bool = False

    def to_json(self) -> dict[str, Any]:
        """What finishing it in another process needs (its store is found again from there)."""
        return {
            "name": self.name,
            "store": self.store.to_dict(),
            "relative_path": self.relative_path,
            "final": None if self.final is None else str(self.final),
            "temp": str(self.temp),
            "fixed": self.fixed,
            "written_remotely": self.written_remotely,
            "uploading": self.uploading,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingOutput:
        final = None if data["final"] is None else Path(data["final"])
        store = DatastoreSpec.from_json(data["store"])
        location = None if final is not None else location_of(store)
        return cls(
            data["name"],
            store,
            data["relative_path"],
            final,
            Path(data["temp"]),
            location,
            uploading=data.get("uploading", False),
            fixed=data["fixed"],
            written_remotely=data.get("written_remotely", False),
        )


def prepare_outputs(definition: StepDefinition, ctx: StepContext) -> list[PendingOutput]:
    """A fresh hidden folder per output beside its final place on a local datastore (so
    publishing is a single rename), or a local folder to upload from for a remote one;
    nothing half-written ever sits where a reader looks."""
    pending = []
    for spec in definition.outputs:
        relative = f"{PIPELINE_DATA_FOLDER}/{ctx.run_folder}/{ctx.task_id}/{spec.name}"
        if isinstance(spec, PipelineDataOutput) and spec.destination is not None:
            # ``{run-id}`` is one path segment naming this step's run, as Azure ML's run id.
            step_run = path_safe(f"{ctx.dag_id}_{ctx.run_id}_{ctx.task_id}")
            relative = spec.destination_for(step_run) or relative
        try:
            location = location_of(spec.datastore)
            if not location.is_local:
                location.check()  # refused credentials show now, not after the script ran
        except (UserErrorException, DatastoreAccessError) as exc:
            raise StepRunError(f"output '{spec.name}': {exc}") from None
        if isinstance(spec, DataReferenceOutput):
            temp = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{spec.name}-"))
            pending.append(
                PendingOutput(
                    spec.name,
                    spec.datastore,
                    spec.path_on_datastore,
                    None,
                    temp,
                    location,
                    fixed=True,
                )
            )
        elif location.is_local:
            final = Path(location.path(relative))
            temp = final.parent / f".{final.name}.partial-{uuid.uuid4().hex[:12]}"
            temp.mkdir(parents=True)
            pending.append(PendingOutput(spec.name, spec.datastore, relative, final, temp))
        else:
            temp = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{spec.name}-"))
            pending.append(PendingOutput(spec.name, spec.datastore, relative, None, temp, location))
    return pending
