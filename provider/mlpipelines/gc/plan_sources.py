"""Planning what pipelines are made from: specs, specs kept by digest, source snapshots and
their blobs, and the snapshot listings reuse explanations read.

What a published pipeline, endpoint or schedule uses is never removed: their DAGs' specs
are recorded, and a kept spec keeps its snapshots, whose listings keep their blobs.
"""

from __future__ import annotations

from mlpipelines.gc.facts import ControlFacts, Facts, SnapshotFact, SpecDoc
from mlpipelines.gc.plan_runs import RunVerdicts
from mlpipelines.gc.policy import RetentionPolicy, format_duration
from mlpipelines.gc.removals import Category, Removal


def plan_sources(facts: Facts, policy: RetentionPolicy, verdicts: RunVerdicts) -> list[Removal]:
    """Specs, specs by digest, snapshots, blobs and reuse listings to remove."""
    removals: list[Removal] = []
    referenced: set[str] = set()
    if facts.control is not None:
        specs, by_digest = _kept_specs(facts.control, facts, policy, verdicts, removals)
        referenced = set(facts.control.record_snapshots)
        for spec in (*specs, *by_digest):
            referenced |= spec.snapshots
    if policy.orphans_only:
        return removals
    if facts.control is not None:
        removals += _snapshot_removals(facts, policy, referenced)
    removals += _reuse_listing_removals(facts, policy)
    return removals


def _kept_specs(
    control: ControlFacts,
    facts: Facts,
    policy: RetentionPolicy,
    verdicts: RunVerdicts,
    removals: list[Removal],
) -> tuple[list[SpecDoc], list[SpecDoc]]:
    """The specs that stay (appending removals of the others to ``removals``)."""
    dags_in_use = control.recorded_dag_ids | {run[0] for run in verdicts.kept}
    grace = format_duration(policy.grace)
    specs = []
    for spec in control.specs:
        if spec.name in dags_in_use or not policy.idle(spec.entry.modified):
            specs.append(spec)
            continue
        removals.append(
            Removal(
                spec.entry.path,
                spec.entry.bytes,
                f"DAG {spec.name}: no published pipeline, schedule or experiment records it "
                f"and it has no kept run (stored over {grace} ago)",
                Category.SPECS,
                spec.entry.modified,
            )
        )
    wanted = control.draft_digests | facts.airflow.spec_digests | {s.digest for s in specs}
    age = format_duration(policy.older_than)
    by_digest = []
    for spec in control.specs_by_digest:
        if policy.orphans_only or spec.name in wanted or not policy.old(spec.entry.modified):
            by_digest.append(spec)
            continue
        removals.append(
            Removal(
                spec.entry.path,
                spec.entry.bytes,
                f"spec {spec.name}: older than {age}, and no kept run, draft or current spec "
                "is this version",
                Category.SPECS_BY_DIGEST,
                spec.entry.modified,
            )
        )
    return specs, by_digest


def _snapshot_removals(
    facts: Facts, policy: RetentionPolicy, referenced: set[str]
) -> list[Removal]:
    age = format_duration(policy.older_than)
    removals = []
    kept: list[SnapshotFact] = []
    for snapshot in facts.store.snapshots:
        newest = max((e.modified for e in snapshot.entries), default=0.0)
        if snapshot.name in referenced or not policy.old(newest):
            kept.append(snapshot)
            continue
        # The listing first: it is what says the snapshot is complete.
        for entry in sorted(snapshot.entries, key=lambda e: not e.path.endswith(".json")):
            removals.append(
                Removal(
                    entry.path,
                    entry.bytes,
                    f"snapshot {snapshot.name}: no kept spec or module names it (older than {age})",
                    Category.SNAPSHOTS,
                )
            )
    needed = {blob for snapshot in kept for blob in snapshot.blobs}
    for blob in facts.store.blobs:
        digest = blob.path.rsplit("/", 1)[-1]
        if digest in needed or not policy.old(blob.modified):
            continue
        removals.append(
            Removal(
                blob.path,
                blob.bytes,
                f"no kept snapshot holds this content (older than {age})",
                Category.BLOBS,
            )
        )
    return removals


def _reuse_listing_removals(facts: Facts, policy: RetentionPolicy) -> list[Removal]:
    removals = []
    for listing in facts.store.reuse_listings:
        name = listing.path.rsplit("/", 1)[-1].removesuffix(".json")
        if name in facts.store.step_record_snapshots or not policy.old(listing.modified):
            continue
        removals.append(
            Removal(
                listing.path,
                listing.bytes,
                "no step's last record names this snapshot",
                Category.REUSE_LISTINGS,
            )
        )
    return removals
