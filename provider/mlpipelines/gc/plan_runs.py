"""Planning a datastore's run data: which runs are kept, which manifests stay live, and
what of the rest goes (outputs, artifacts, manifests, stale markers, leftovers).

The one rule that must never break: a manifest stays only while every output it hands on
stays. A manifest is live when its run is kept or a running run reads one of its outputs;
the outputs of live manifests are protected; every other manifest is removed, first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from mlpipelines.gc.facts import Facts, ManifestFact, RunData, RunId
from mlpipelines.gc.policy import RetentionPolicy, format_duration
from mlpipelines.gc.removals import Category, Removal

_KIND_CATEGORY = {
    "outputs": Category.OUTPUTS,
    "artifacts": Category.ARTIFACTS,
    "parallel_run": Category.PARALLEL_RUN,
}


def within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def overlaps(path: str, others: Iterable[str]) -> bool:
    """Whether ``path`` contains, or lies in, any of ``others``."""
    return any(within(path, other) or within(other, path) for other in others)


@dataclass(frozen=True)
class RunVerdicts:
    """Which runs are running, which are kept, and which outputs must stay."""

    active: frozenset[RunId]
    kept: frozenset[RunId]
    protected: frozenset[str]
    live_manifests: frozenset[str]


def run_times(facts: Facts) -> dict[RunId, float]:
    """Each run's newest change, over its folders and its manifests."""
    times: dict[RunId, float] = {}
    for data in facts.store.runs:
        times[data.run] = max(times.get(data.run, 0.0), data.entry.modified)
    for manifest in facts.store.manifests:
        if manifest.run is not None:
            times[manifest.run] = max(times.get(manifest.run, 0.0), manifest.entry.modified)
    return times


def active_runs(facts: Facts, policy: RetentionPolicy, times: dict[RunId, float]) -> set[RunId]:
    """Runs queued or running: as Airflow said, or (offline) those whose folders changed
    within the grace period or whose markers are held by live tasks."""
    if facts.airflow.reachable:
        return set(facts.airflow.active_runs)
    found = {run for run, modified in times.items() if not policy.idle(modified)}
    found |= {m.run for m in facts.store.markers if m.alive and m.run is not None}
    return found


def kept_runs(times: dict[RunId, float], active: set[RunId], policy: RetentionPolicy) -> set[RunId]:
    """Running runs, runs newer than the retention age, and each pipeline's newest
    ``keep_last`` runs (every run when only orphans go)."""
    if policy.orphans_only:
        return set(times) | active
    by_dag: dict[str, list[RunId]] = defaultdict(list)
    for run in times:
        by_dag[run[0]].append(run)
    kept = set(active)
    for runs in by_dag.values():
        runs.sort(key=lambda run: (times[run], run[1]), reverse=True)
        kept.update(runs[: policy.keep_last])
        kept.update(run for run in runs if not policy.old(times[run]))
    return kept


def _live(manifest: ManifestFact, kept: set[RunId], in_use: frozenset[str]) -> bool:
    if manifest.damaged or manifest.dangling or manifest.run is None:
        return False
    return manifest.run in kept or any(overlaps(o, in_use) for o in manifest.outputs)


def judge_runs(facts: Facts, policy: RetentionPolicy) -> RunVerdicts:
    """The verdicts every removal of run data follows."""
    times = run_times(facts)
    active = active_runs(facts, policy, times)
    kept = kept_runs(times, active, policy)
    in_use = facts.airflow.in_use_outputs
    live = [m for m in facts.store.manifests if _live(m, kept, in_use)]
    protected = set(in_use)
    for manifest in live:
        protected.update(manifest.outputs)
    return RunVerdicts(
        frozenset(active),
        frozenset(kept),
        frozenset(protected),
        frozenset(m.entry.path for m in live),
    )


def plan_run_data(facts: Facts, policy: RetentionPolicy, verdicts: RunVerdicts) -> list[Removal]:
    """Manifests, outputs, artifacts, markers and leftovers to remove."""
    removals = [
        removal
        for m in facts.store.manifests
        if m.entry.path not in verdicts.live_manifests
        and (removal := _manifest_removal(m, policy)) is not None
    ]
    age = format_duration(policy.older_than)
    for data in facts.store.runs:
        if data.run not in verdicts.kept:
            why = (
                f"run {data.run[1]} of {data.run[0]}: older than {age} and not among its "
                f"pipeline's newest {policy.keep_last} runs"
            )
            removals += _run_data_removals(data, verdicts.protected, why)
    removals += _marker_removals(facts, policy, verdicts)
    return _with_leftovers(facts, policy, verdicts, removals)


def _manifest_removal(manifest: ManifestFact, policy: RetentionPolicy) -> Removal | None:
    entry = manifest.entry
    if manifest.damaged or manifest.run is None:
        if not policy.idle(entry.modified):
            return None
        reason = "damaged (reuse ignores it)"
    elif manifest.dangling:
        reason = "points at outputs that are gone"
    elif policy.orphans_only:
        return None
    else:
        reason = f"its run {manifest.run[1]} of {manifest.run[0]} is not kept"
    return Removal(entry.path, entry.bytes, reason, Category.MANIFESTS, entry.modified)


def _run_data_removals(data: RunData, protected: frozenset[str], why: str) -> list[Removal]:
    category = _KIND_CATEGORY[data.kind]
    if not overlaps(data.entry.path, protected):
        return [Removal(data.entry.path, data.entry.bytes, why, category)]
    return [
        Removal(part.path, part.bytes, why, category)
        for part in data.parts
        if not overlaps(part.path, protected)
    ]


def _marker_removals(facts: Facts, policy: RetentionPolicy, verdicts: RunVerdicts) -> list[Removal]:
    removals = []
    for marker in facts.store.markers:
        if marker.alive or marker.run in verdicts.active or not policy.idle(marker.entry.modified):
            continue
        holder = f"run {marker.run[1]} of {marker.run[0]}" if marker.run else "an unreadable holder"
        removals.append(
            Removal(
                marker.entry.path,
                marker.entry.bytes,
                f"held by {holder}, whose task is gone",
                Category.MARKERS,
                marker.entry.modified,
            )
        )
    return removals


def _with_leftovers(
    facts: Facts, policy: RetentionPolicy, verdicts: RunVerdicts, planned: list[Removal]
) -> list[Removal]:
    """``planned`` plus the leftovers idle past the grace outside running runs; a leftover
    inside a folder that goes whole goes with it (its bytes counted there)."""
    folders = {r.path: r for r in planned if r.category in _KIND_CATEGORY.values()}
    extra: dict[str, int] = defaultdict(int)
    grace = format_duration(policy.grace)
    removals = []
    for leftover in facts.store.leftovers:
        entry = leftover.entry
        inside = next((f for f in folders if within(entry.path, f)), None)
        if inside is not None:
            extra[inside] += entry.bytes
            continue
        if leftover.run in verdicts.active or not policy.idle(entry.modified):
            continue
        where = f" in run {leftover.run[1]} of {leftover.run[0]}" if leftover.run else ""
        removals.append(
            Removal(
                entry.path,
                entry.bytes,
                f"unfinished temporary{where}, untouched for over {grace}",
                Category.LEFTOVERS,
            )
        )
    grown = [replace(r, bytes=r.bytes + extra[r.path]) if r.path in extra else r for r in planned]
    return grown + removals
