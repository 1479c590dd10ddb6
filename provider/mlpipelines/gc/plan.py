"""The gc planner: from what was found and the policy, the list of removals. Pure: it reads
only its arguments, so every rule is tested without a datastore, a machine or Airflow."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlpipelines.gc.facts import Facts, MachineFacts
from mlpipelines.gc.plan_runs import judge_runs, plan_run_data
from mlpipelines.gc.plan_sources import plan_sources
from mlpipelines.gc.policy import RetentionPolicy, format_duration
from mlpipelines.gc.removals import Category, Removal, in_order


@dataclass(frozen=True)
class Plan:
    """The removals in the order they are applied, and notes on what was left alone."""

    removals: list[Removal]
    notes: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.removals)


def plan_removals(facts: Facts, policy: RetentionPolicy) -> Plan:
    """Everything ``policy`` lets go of, never what a kept or running run, a live manifest,
    a recorded spec or a kept snapshot needs."""
    notes = list(facts.notes)
    if not facts.airflow.reachable:
        notes.append(
            "offline: runs whose folders changed in the last "
            f"{format_duration(policy.grace)} are taken as running"
        )
    verdicts = judge_runs(facts, policy)
    removals = plan_run_data(facts, policy, verdicts)
    removals += plan_sources(facts, policy, verdicts)
    if facts.machine is not None:
        removals += _machine_removals(facts.machine, policy, notes)
    return Plan(in_order(removals), notes)


def _machine_removals(
    machine: MachineFacts, policy: RetentionPolicy, notes: list[str]
) -> list[Removal]:
    grace = format_duration(policy.grace)
    removals = []
    if not machine.inspectable:
        notes.append("temp work folders kept: this system cannot tell which processes use them")
    else:
        for folder in machine.temp_folders:
            if folder.in_use or not policy.idle(folder.entry.modified):
                continue
            removals.append(
                Removal(
                    folder.entry.path,
                    folder.entry.bytes,
                    f"no live process uses it, untouched for over {grace}",
                    Category.TEMP_FOLDERS,
                )
            )
    for cache in machine.stat_caches:
        if cache.roots_exist or not policy.idle(cache.entry.modified):
            continue
        removals.append(
            Removal(
                cache.entry.path,
                cache.entry.bytes,
                "every file it remembers is gone",
                Category.STAT_CACHES,
            )
        )
    for leftover in machine.leftovers:
        if policy.idle(leftover.modified):
            removals.append(
                Removal(
                    leftover.path,
                    leftover.bytes,
                    f"unfinished temporary, untouched for over {grace}",
                    Category.STAT_CACHES,
                )
            )
    return removals
