"""Running any step under reuse: its key, a manifest or a run, the marker while it runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mlpipelines.records import DatastoreSpec, OutputReference, StepDefinition
from mlpipelines.reuse.decision import ReuseCheck, check_reuse, reuse_disabled_reason
from mlpipelines.reuse.fingerprints import input_fingerprints
from mlpipelines.reuse.keys import reads_content
from mlpipelines.reuse.store import Holder, Manifest, ReuseStore
from mlpipelines.runtime.heartbeat import keep_marker_alive
from mlpipelines.runtime.output_registration import register_outputs
from mlpipelines.runtime.outputs import publish_output
from mlpipelines.runtime.staging import PendingOutput, locate_inputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import tree_fingerprint
from mlpipelines.storage.data_locations import LocatedInput

StepExecution = Callable[[ReuseCheck, dict[str, LocatedInput]], "StepResult"]


class StepHeld(Exception):
    """Another run is computing this step's key right now; try again once it is done."""

    def __init__(self, holder: Holder, store: DatastoreSpec, key: str) -> None:
        self.holder = holder
        self.store = store
        self.key = key
        super().__init__(
            f"run {holder.run_id} of {holder.dag_id} ({holder.task_id}) is computing the same key"
        )


@dataclass
class KeyClaim:
    """A key this task computes under its in-progress marker: all that finishing it in
    another process needs (manifest, step record, marker), as plain JSON values."""

    store: DatastoreSpec
    key: str
    components: dict[str, Any]
    snapshot_files: dict[str, str] | None
    reusable: bool
    dag_id: str
    run_id: str
    task_id: str

    def holder(self, **fields: Any) -> Holder:
        """This task as the marker's holder (this process, unless ``fields`` say otherwise)."""
        return Holder(self.dag_id, self.run_id, self.task_id, **fields)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "store": self.store.to_dict()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyClaim:
        return cls(**{**data, "store": DatastoreSpec.from_json(data["store"])})


class StepDeferred(Exception):
    """The step's work goes on outside this process (a Databricks run watched by a trigger).

    ``work`` is what the step kind needs to finish it; ``run_with_reuse`` adds ``claim``.
    """

    def __init__(self, work: dict[str, Any]) -> None:
        super().__init__("step deferred")
        self.work = work
        self.claim: KeyClaim | None = None


@dataclass
class StepResult:
    """What a finished step hands on: a reference per output, its metrics, and whether it
    was reused from an earlier run (then ``reused`` is that run's manifest)."""

    outputs: dict[str, OutputReference] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    reused: Manifest | None = None
    check: ReuseCheck | None = None


def publish_outputs(pending: list[PendingOutput]) -> dict[str, OutputReference]:
    """Move each finished output to its final place; its reference carries its fingerprint."""
    published = {}
    for output in pending:
        # Fresh bytes: hashed once before they move, no stat cache (files this new are
        # never cached); the hash is of content only, so it holds at the final place too.
        fingerprint = None if output.written_remotely else tree_fingerprint(output.temp)
        ref = publish_output(output)
        published[output.name] = ref.with_fingerprint(fingerprint or ref.fingerprint)
    return published


def _checked(
    definition: StepDefinition,
    ctx: StepContext,
    known_fingerprints: Mapping[str, str] | None = None,
) -> tuple[dict[str, LocatedInput], ReuseStore, ReuseCheck]:
    """The step's inputs located, its reuse store, and its key looked up there."""
    located = locate_inputs(definition, ctx, known_fingerprints)
    store = ReuseStore(definition.default_datastore)
    check = check_reuse(
        definition,
        ctx.params,
        input_fingerprints(located, reads_content(definition)),
        store,
        ctx.dag_id,
        ctx.task_id,
    )
    return located, store, check


def look_before_running(definition: StepDefinition, ctx: StepContext) -> StepResult | None:
    """What a worker learns before handing a step to a pod or container: the step's earlier
    result when its key has a manifest (no container needed), StepHeld while another run
    computes the key (the task can wait deferred instead of in a container), else None (the
    container runs the step under ``run_with_reuse`` as usual)."""
    if reuse_disabled_reason(definition, ctx.params) is not None:
        return None
    _, store, check = _checked(definition, ctx)
    if check.reused:
        return _reused(check, ctx)
    holder = store.holder_of(check.key)
    if holder is not None and holder.run_id != ctx.run_id:
        raise StepHeld(holder, definition.default_datastore, check.key)
    return None


def run_with_reuse(
    definition: StepDefinition,
    ctx: StepContext,
    execute: StepExecution,
    known_fingerprints: Mapping[str, str] | None = None,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else ``execute`` it once under
    an in-progress marker, then record a manifest of what it produced.

    ``known_fingerprints`` (dataset input name -> fingerprint) are taken as they are: a
    ParallelRunStep's gathering task passes those of the files its planning task split.

    Raises StepHeld while another run computes the same key. Where ``execute`` raises
    StepDeferred (the work goes on outside this process), the marker is handed over rather
    than released, and the exception leaves carrying the claim ``resume_with_reuse`` needs.
    """
    located, store, check = _checked(definition, ctx, known_fingerprints)
    for warning in check.warnings:
        ctx.log.warning("%s", warning)
    if check.reused:
        return _reused(check, ctx)
    ctx.log.info("step %s %s (key %s)", definition.name, check.summary(), check.key)
    reusable = reuse_disabled_reason(definition, ctx.params) != "allow_reuse=False"
    me = Holder(ctx.dag_id, ctx.run_id, ctx.task_id)
    if reusable:
        other = store.claim(check.key, me)
        if other is not None:
            raise StepHeld(other, definition.default_datastore, check.key)
    handed_over = False
    try:
        if reusable and reuse_disabled_reason(definition, ctx.params) is None:
            # Another run may have finished this key between our look and our claim.
            manifest, _ = store.load_manifest(check.key)
            if manifest is not None:
                check.manifest = manifest
                return _reused(check, ctx)
        claim = KeyClaim(
            definition.default_datastore,
            check.key,
            check.components,
            check.snapshot.files if check.snapshot is not None else None,
            reusable,
            ctx.dag_id,
            ctx.run_id,
            ctx.task_id,
        )
        deferred: StepDeferred | None = None
        with keep_marker_alive(store, check.key, me, enabled=reusable):
            try:
                result = execute(check, located)
            except StepDeferred as exc:
                deferred = exc
        if deferred is not None:
            if reusable:
                # No process of ours holds it now: only heartbeats (the trigger's) keep it.
                store.heartbeat(check.key, claim.holder(host=""))
            handed_over = True
            deferred.claim = claim
            raise deferred
        _record(store, claim, result)
        register_outputs(definition, result.outputs, ctx)
        result.check = check
        return result
    finally:
        if reusable and not handed_over:
            store.release(check.key, me)


def resume_with_reuse(
    claim: KeyClaim, ctx: StepContext, finish: Callable[[], StepResult]
) -> StepResult:
    """Finish a step that deferred under ``claim``: ``finish`` it with the marker kept alive,
    record its manifest if it succeeded, and release the marker whatever happened."""
    store = ReuseStore(claim.store)
    me = claim.holder()
    try:
        if claim.reusable:
            store.heartbeat(claim.key, me)
        with keep_marker_alive(store, claim.key, me, enabled=claim.reusable):
            result = finish()
        _record(store, claim, result)
        return result
    finally:
        if claim.reusable:
            store.release(claim.key, me)


def _record(store: ReuseStore, claim: KeyClaim, result: StepResult) -> None:
    """The manifest (for reuse, once every output is in place) and the step's last key."""
    if claim.reusable:
        store.write_manifest(
            Manifest(
                claim.key,
                claim.dag_id,
                claim.run_id,
                claim.task_id,
                result.outputs,
                result.metrics,
            )
        )
    store.record_step(
        claim.dag_id, claim.task_id, claim.key, claim.components, claim.snapshot_files
    )


def _reused(check: ReuseCheck, ctx: StepContext) -> StepResult:
    manifest = check.manifest
    assert manifest is not None, "only a reused check is handed on"
    ctx.log.info(
        "reused from run %s of %s, step %s (key %s)",
        manifest.run_id,
        manifest.dag_id,
        manifest.task_id,
        check.key,
    )
    return StepResult(manifest.outputs, manifest.metrics, reused=manifest, check=check)
