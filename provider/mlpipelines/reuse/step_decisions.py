"""Decisions for every step of a run at its start: which can be reused right away, which
must run, and which wait for another run computing the same key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.reuse.decision import ReuseCheck, check_reuse, reuse_disabled_reason
from mlpipelines.reuse.keys import reads_content
from mlpipelines.reuse.store import Holder, ReuseStore


@dataclass
class StepDecision:
    """One step's decision at run start; ``check`` is None where no key could be computed."""

    task_id: str
    outcome: str  # "reuse", "run", "later" (decided when the step starts), "wait"
    detail: str
    check: ReuseCheck | None = None
    holder: Holder | None = None


@dataclass
class RunDecisions:
    steps: list[StepDecision] = field(default_factory=list)

    @property
    def hits(self) -> list[StepDecision]:
        return [d for d in self.steps if d.outcome == "reuse"]

    @property
    def waiting(self) -> list[StepDecision]:
        return [d for d in self.steps if d.outcome == "wait"]

    def table(self) -> str:
        width = max([len(d.task_id) for d in self.steps] + [4])
        lines = [f"{'step':<{width}}  decision  detail"]
        lines += [f"{d.task_id:<{width}}  {d.outcome:<8}  {d.detail}" for d in self.steps]
        return "\n".join(lines)


def decide_steps(
    steps: list[dict[str, Any]], params: dict[str, Any], dag_id: str, run_id: str
) -> RunDecisions:
    """Decide each step in plan order (producers first), chaining the fingerprints of reused
    outputs into the keys of the steps that read them."""
    decisions = RunDecisions()
    known: dict[tuple[str, str], str] = {}
    for definition in steps:
        task_id = definition["task_id"]
        disabled = reuse_disabled_reason(definition, params)
        if disabled:
            decisions.steps.append(StepDecision(task_id, "run", disabled))
            continue
        fingerprints, unknown = _input_fingerprints(definition, known, params)
        if unknown:
            decisions.steps.append(StepDecision(task_id, "later", unknown))
            continue
        store = ReuseStore(definition["default_datastore"])
        check = check_reuse(definition, params, fingerprints, store, dag_id, task_id)
        if check.reused:
            for name, ref in check.manifest.outputs.items():
                known[(task_id, name)] = ref.get("fingerprint", "")
            decisions.steps.append(StepDecision(task_id, "reuse", check.summary(), check))
            continue
        holder = store.holder_of(check.key)
        if holder is not None and holder.run_id != run_id:
            decisions.steps.append(
                StepDecision(
                    task_id,
                    "wait",
                    f"run {holder.run_id} is computing key {check.key}",
                    check,
                    holder,
                )
            )
            continue
        decisions.steps.append(StepDecision(task_id, "run", check.summary(), check))
    return decisions


def _input_fingerprints(
    definition: dict[str, Any], known: dict[tuple[str, str], str], params: dict[str, Any]
) -> tuple[dict[str, str], str]:
    found: dict[str, str] = {}
    for spec in definition["inputs"]:
        if spec["kind"] in ("data_reference", "data_path"):
            # Imported here: most steps read PipelineData, and the sensor's start-up counts.
            from mlpipelines.runtime.data_locations import (
                data_path_location,
                data_reference_location,
            )

            try:
                if spec["kind"] == "data_path":
                    data = data_path_location(spec, params)
                else:
                    data = data_reference_location(spec)
                if not data.exists():
                    return found, f"input {spec['name']} is missing; the step will say so"
                found[spec["name"]] = data.fingerprint(reads_content(definition))
            except Exception as exc:  # any failure is the step's to report, before its script
                return found, f"input {spec['name']}: {exc}; the step will say so"
        elif spec["kind"] == "dataset":
            from mlpipelines.runtime.dataset_inputs import dataset_fingerprint

            try:
                found[spec["name"]] = dataset_fingerprint(spec)
            except StepRunError as exc:
                return found, f"{exc}; the step will say so"
        else:
            fingerprint = known.get((spec["producer"], spec["data"]))
            if fingerprint is None:
                return found, f"decided when it starts: {spec['producer']} runs first"
            found[spec["name"]] = fingerprint
    return found, ""
