"""Decisions for every step of a run at its start: which can be reused right away, which
must run, and which wait for another run computing the same key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlpipelines.datasets.dataset_parameters import resolve_dataset_input
from mlpipelines.datasets.input_fingerprints import dataset_fingerprint
from mlpipelines.errors import StepRunError
from mlpipelines.records import (
    DatasetInput,
    OutputReference,
    PipelineDataInput,
    StepDefinition,
)
from mlpipelines.reuse.decision import ReuseCheck, check_reuse, reuse_disabled_reason
from mlpipelines.reuse.fingerprints import input_fingerprints
from mlpipelines.reuse.keys import reads_content
from mlpipelines.reuse.store import Holder, ReuseStore
from mlpipelines.storage.data_locations import LocatedInput, input_location


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
    steps: list[StepDefinition], params: Mapping[str, Any], dag_id: str, run_id: str
) -> RunDecisions:
    """Decide each step in plan order (producers first), chaining the fingerprints of reused
    outputs into the keys of the steps that read them."""
    decisions = RunDecisions()
    known: dict[tuple[str, str], OutputReference] = {}
    for definition in steps:
        decision = _decide(definition, known, params, dag_id, run_id)
        decisions.steps.append(decision)
        if decision.outcome == "reuse" and decision.check and decision.check.manifest:
            for name, ref in decision.check.manifest.outputs.items():
                known[(definition.task_id, name)] = ref
    return decisions


def _decide(
    definition: StepDefinition,
    known: dict[tuple[str, str], OutputReference],
    params: Mapping[str, Any],
    dag_id: str,
    run_id: str,
) -> StepDecision:
    task_id = definition.task_id
    disabled = reuse_disabled_reason(definition, params)
    if disabled:
        return StepDecision(task_id, "run", disabled)
    located, unknown = _locate(definition, known, params)
    if unknown:
        return StepDecision(task_id, "later", unknown)
    fingerprints = input_fingerprints(located, reads_content(definition))
    store = ReuseStore(definition.default_datastore)
    check = check_reuse(definition, params, fingerprints, store, dag_id, task_id)
    if check.reused:
        return StepDecision(task_id, "reuse", check.summary(), check)
    holder = store.holder_of(check.key)
    if holder is not None and holder.run_id != run_id:
        detail = f"run {holder.run_id} is computing key {check.key}"
        return StepDecision(task_id, "wait", detail, check, holder)
    return StepDecision(task_id, "run", check.summary(), check)


def _locate(
    definition: StepDefinition,
    known: dict[tuple[str, str], OutputReference],
    params: Mapping[str, Any],
) -> tuple[dict[str, LocatedInput], str]:
    """Each input located as far as run start allows; else why the step decides later."""
    located: dict[str, LocatedInput] = {}
    for spec in definition.inputs:
        if isinstance(spec, PipelineDataInput):
            ref = known.get((spec.producer, spec.data))
            if ref is None:
                return located, f"decided when it starts: {spec.producer} runs first"
            located[spec.name] = LocatedInput(spec, None, ref)
            continue
        try:
            if isinstance(spec, DatasetInput):
                spec = resolve_dataset_input(spec, params)
                located[spec.name] = LocatedInput(spec, None, None, dataset_fingerprint(spec))
                continue
            data = input_location(spec, params)
            if not data.exists():
                return located, f"input {spec.name} is missing; the step will say so"
            located[spec.name] = LocatedInput(spec, data)
        except StepRunError as exc:
            return located, f"{exc}; the step will say so"
        except Exception as exc:  # any failure is the step's to report, before its script
            return located, f"input {spec.name}: {exc}; the step will say so"
    return located, ""
