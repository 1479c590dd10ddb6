"""A planned pipeline: its DAG params and one record per task, the one form the renderer
reads and a stored spec holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlpipelines.records.step import StepDefinition


@dataclass(frozen=True)
class ParamSpec:
    """One DAG Param: a PipelineParameter's name, default, JSON-schema type and the help the
    trigger form shows (None: the renderer says which steps use it)."""

    name: str
    default: Any
    type: str
    description: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    """One task: its id, the step kind (which picks the operator), the step's definition,
    the ids of the tasks before it, and its documentation."""

    task_id: str
    kind: str
    definition: StepDefinition
    upstream: tuple[str, ...]
    doc_md: str


@dataclass(frozen=True)
class PipelinePlan:
    """The tasks of a pipeline, its DAG params, and whether it opens with a reuse sensor
    (it does when any step may be reused)."""

    params: tuple[ParamSpec, ...]
    tasks: tuple[TaskSpec, ...]
    description: str | None
    reuse: bool = False
