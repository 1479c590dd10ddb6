"""Reuse or run: one step's key, its manifest if usable, and otherwise why it must run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlpipelines.records import StepDefinition
from mlpipelines.records.reserved import REGENERATE_PARAM
from mlpipelines.reuse.explain import explain_changes
from mlpipelines.reuse.keys import reuse_components, reuse_key
from mlpipelines.reuse.store import Manifest, ReuseStore
from mlpipelines.snapshot import Snapshot, take_snapshot
from mlpipelines.storage.datastores import source_of


@dataclass
class ReuseCheck:
    """The outcome for one step: reused from ``manifest``, or run for ``reasons``."""

    key: str
    components: dict[str, Any]
    snapshot: Snapshot | None = None
    manifest: Manifest | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def reused(self) -> bool:
        return self.manifest is not None

    def summary(self) -> str:
        if self.manifest is not None:
            return f"reused from run {self.manifest.run_id} (key {self.key})"
        return "runs: " + "; ".join(self.reasons)


def reuse_disabled_reason(definition: StepDefinition, params: Mapping[str, Any]) -> str | None:
    """Why this step runs whatever is cached, or None when it may be reused."""
    if not definition.allow_reuse:
        return "allow_reuse=False"
    if params.get(REGENERATE_PARAM):
        return "regenerate_outputs=true"
    return None


def check_reuse(
    definition: StepDefinition,
    params: Mapping[str, Any],
    input_fingerprints: dict[str, str],
    store: ReuseStore,
    dag_id: str,
    task_id: str,
    snapshot: Snapshot | None = None,
) -> ReuseCheck:
    """Compute the step's key and look for a usable manifest; explain a miss."""
    disabled = reuse_disabled_reason(definition, params)
    source = source_of(definition)
    if snapshot is None and source:
        snapshot = take_snapshot(source)
    digest = snapshot.digest if snapshot is not None else None
    components = reuse_components(definition, params, digest, input_fingerprints)
    key = reuse_key(components)
    check = ReuseCheck(key=key, components=components, snapshot=snapshot)
    if disabled:
        check.reasons.append(disabled)
        return check
    manifest, warning = store.load_manifest(key)
    if warning:
        check.warnings.append(warning)
    if manifest is not None:
        check.manifest = manifest
        return check
    previous, previous_files = store.last_step_record(dag_id, task_id)
    if warning:
        check.reasons.append(warning)
    elif previous is None:
        check.reasons.append("no manifest for this key, and no earlier run of this step")
    elif reuse_key(previous) == key:
        check.reasons.append("no manifest for this key (the last run under it did not finish)")
    else:
        current_files = snapshot.files if snapshot is not None else None
        check.reasons += explain_changes(previous, components, previous_files, current_files)
    return check
