"""A ParallelRunStep's planning task: its input split into mini-batches, each keyed by the
code and its items, the ones already in the cache left out, the rest dealt to the mapped
tasks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from mlpipelines._collector import collection_paused
from mlpipelines.datasets.dataset_parameters import resolve_dataset_input
from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import DatasetInput, StepDefinition
from mlpipelines.records.parallel_run import ParallelRunSettings
from mlpipelines.records.tokens import PLACEHOLDER_INPUTS, PLACEHOLDER_OUTPUTS, ParameterValues
from mlpipelines.reuse.decision import reuse_disabled_reason
from mlpipelines.reuse.mini_batches import (
    EarlierBatch,
    MiniBatchStore,
    code_key,
    layout_key,
    mini_batch_key,
)
from mlpipelines.runtime.parallel_run_split import (
    FileItem,
    assign_groups,
    split_keeping,
    split_rows,
)
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import Snapshot, take_snapshot
from mlpipelines.storage.datastores import source_of
from mlpipelines.storage.deployment import Deployment


@dataclass
class MiniBatch:
    """One mini-batch: its place in the input, its key, and its items (file names in the
    dataset with their fingerprints, or a ``[start, end)`` row range)."""

    index: int
    key: str
    items: list[tuple[str, str]] = field(default_factory=list)
    rows: tuple[int, int] | None = None
    cached: bool = False

    @property
    def labels(self) -> list[str]:
        """How failures name its items: file names, or ``rows a-b``."""
        if self.rows is not None:
            return [f"rows {self.rows[0]}-{self.rows[1] - 1}"]
        return [name for name, _ in self.items]

    @property
    def size(self) -> int:
        return self.rows[1] - self.rows[0] if self.rows is not None else len(self.items)

    def to_json(self) -> dict[str, Any]:
        """Its items as two columns (names, fingerprints): a 10,000-file plan's XCom is read
        back by every mapped task and the gathering task."""
        data: dict[str, Any] = {"index": self.index, "key": self.key, "cached": self.cached}
        if self.rows is not None:
            data["rows"] = list(self.rows)
        else:
            data["names"] = [name for name, _ in self.items]
            data["fingerprints"] = [fingerprint for _, fingerprint in self.items]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MiniBatch:
        """``to_json``'s form, or the earlier one (``items`` as pairs) a plan pushed before."""
        rows = data.get("rows")
        if "names" in data:
            items = list(zip(map(str, data["names"]), map(str, data["fingerprints"]), strict=True))
        else:
            items = [(str(n), str(f)) for n, f in data.get("items", [])]
        return cls(
            data["index"],
            data["key"],
            items,
            (int(rows[0]), int(rows[1])) if rows else None,
            bool(data.get("cached")),
        )


@dataclass
class MiniBatchPlan:
    """Every mini-batch of a run (for the gathering task), the groups of those still to run
    (one per mapped task), and the fingerprint of the input they were cut from."""

    code: str
    layout: str
    batches: list[MiniBatch]
    groups: list[list[MiniBatch]]
    input_fingerprint: str | None = None
    """The split input's fingerprint, for the gathering task's reuse key (None for a
    tabular input, which the gathering task fingerprints itself)."""


def settings_of(definition: StepDefinition) -> ParallelRunSettings:
    if definition.parallel_run is None:
        raise StepRunError(f"step '{definition.name}' has no ParallelRunConfig settings")
    return definition.parallel_run


def mini_batch_input(definition: StepDefinition, params: dict[str, Any]) -> DatasetInput:
    """The dataset the step splits, as this run's parameters give it."""
    settings = settings_of(definition)
    for spec in definition.inputs:
        if isinstance(spec, DatasetInput) and spec.name == settings.mini_batch_input:
            return resolve_dataset_input(spec, params)
    raise StepRunError(
        f"step '{definition.name}': its input '{settings.mini_batch_input}' is no dataset"
    )


def step_code_key(
    definition: StepDefinition, params: dict[str, Any], snapshot: Snapshot | None
) -> str:
    """The part of every mini-batch key that is not its items."""
    values = ParameterValues(params)
    arguments = [
        t.render(values, PLACEHOLDER_INPUTS, PLACEHOLDER_OUTPUTS) for t in definition.arguments
    ]
    return code_key(
        snapshot.digest if snapshot is not None else None,
        definition.script_name,
        arguments,
        {"input": settings_of(definition).mini_batch_input},
        definition.environment_variables,
    )


def plan_mini_batches(definition: StepDefinition, ctx: StepContext) -> MiniBatchPlan:
    """Split the input, key each mini-batch, and deal those without a cached result to at
    most ``node_count`` groups."""
    # A few objects a file (listing, stats, fingerprints, items), none cyclic: each full
    # collection they would trigger re-traverses the task's whole heap.
    with collection_paused():
        return _plan(definition, ctx)


def _plan(definition: StepDefinition, ctx: StepContext) -> MiniBatchPlan:
    settings = settings_of(definition)
    spec = mini_batch_input(definition, ctx.params)
    source = source_of(definition)
    snapshot = take_snapshot(source) if source else None
    code = step_code_key(definition, ctx.params, snapshot)
    store = MiniBatchStore(definition.default_datastore)
    reusable = reuse_disabled_reason(definition, ctx.params) is None
    layout = layout_key(code, settings.mini_batch_size, spec.dataset)
    try:
        workspace = Deployment.current_knowing(spec.stores)
        local: dict[str, str] = {}
        fingerprint = None
        if spec.dataset.get("kind") == "tabular":
            batches = _table_batches(spec, settings, code, workspace)
        else:
            earlier = store.layout(layout) if reusable else []
            batches, local, fingerprint = _file_batches(spec, settings, code, earlier, workspace)
    except UserErrorException as exc:
        raise StepRunError(f"step '{definition.name}': input '{spec.name}': {exc}") from None
    if reusable:
        for batch, finished in zip(batches, store.finished([b.key for b in batches]), strict=True):
            batch.cached = finished
    pending = [b for b in batches if not b.cached]
    if local and pending:
        # The mapped tasks read only the files of the mini-batches they run.
        wanted = {name: local[name] for b in pending for name, _ in b.items}
        store.save_run_files(ctx.run_folder, definition.task_id, wanted)
    groups = [
        [pending[i] for i in group] for group in assign_groups(len(pending), settings.node_count)
    ]
    ctx.log.info(
        "%s: %d mini-batches of %s; %d reused from the cache, %d to run in %d mapped task(s)",
        definition.name,
        len(batches),
        settings.size.describe(),
        len(batches) - len(pending),
        len(pending),
        len(groups),
    )
    return MiniBatchPlan(code, layout, batches, groups, fingerprint)


def _file_batches(
    spec: DatasetInput,
    settings: ParallelRunSettings,
    code: str,
    earlier: list[EarlierBatch],
    workspace: Any,
) -> tuple[list[MiniBatch], dict[str, str], str]:
    """The file mini-batches, each file's local path when all are local, and the input's
    fingerprint (as ``dataset_fingerprint`` makes it, from the same look at every file)."""
    from mlpipelines.datasets.file_access import kept_positions
    from mlpipelines.datasets.input_fingerprints import file_fingerprints, files_fingerprint
    from mlpipelines.datasets.sources import resolve_files

    if spec.dataset.get("kind") != "file":
        raise UserErrorException("only a file dataset has files to split into mini-batches")
    every = resolve_files(spec.dataset, workspace)
    sizes: list[int] = []
    fingerprints = file_fingerprints(every, sizes)
    fingerprint = files_fingerprint(spec.dataset, every, fingerprints)
    kept = kept_positions(spec.dataset, every)
    items = [FileItem(every[i].name, fingerprints[i], sizes[i]) for i in kept]
    batches = []
    for index, (group, key) in enumerate(split_keeping(items, settings.size, earlier)):
        pairs = [(item.name, item.fingerprint) for item in group]
        # A kept mini-batch's key was made from these same names and fingerprints under the
        # same code (the layout's key includes it): not made again.
        batches.append(MiniBatch(index, key or mini_batch_key(code, pairs), pairs))
    files = [every[i] for i in kept]
    local = {f.name: f.path for f in files} if all(f.local for f in files) else {}
    return batches, local, fingerprint


def _table_batches(
    spec: DatasetInput, settings: ParallelRunSettings, code: str, workspace: Any
) -> list[MiniBatch]:
    import pyarrow as pa

    from mlpipelines.datasets.tabular_reading import read_definition

    table = read_definition(spec.dataset, workspace)
    batches = []
    for index, (start, end) in enumerate(split_rows(table.num_rows, table.nbytes, settings.size)):
        sink = pa.BufferOutputStream()
        part = table.slice(start, end - start)
        with pa.ipc.new_stream(sink, part.schema) as writer:
            writer.write_table(part)
        digest = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
        pairs = [(f"rows {start}-{end - 1}", digest)]
        batches.append(MiniBatch(index, mini_batch_key(code, pairs), [], (start, end)))
    return batches
