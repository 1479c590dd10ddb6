"""The steps of a pipeline and the data between them: the closure of what the listed steps
need, its parameters, its validation and its plan. ``Pipeline`` adds what reaches Airflow and
the client (``to_dag``, ``publish``); a ScriptRunConfig's one-step run is planned as a bare
graph, so ``azureml.core``, which step scripts import, never reaches the translator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mlpipelines.errors import PipelineValidationError
from mlpipelines.model.data import DataReference, PipelineData, underlying
from mlpipelines.model.graph import iter_parameters, step_upstreams
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.step_io import link_producers_by_name
from mlpipelines.model.steps import Step
from mlpipelines.model.workspace import Workspace

if TYPE_CHECKING:
    from mlpipelines.model.datastore import Datastore
    from mlpipelines.records.plan import PipelinePlan


class StepSequence:
    """Steps that run in the order given, with no data passing between them."""

    def __init__(self, steps: Iterable[Any] | None = None) -> None:
        self.steps = list(_flatten(steps or []))
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if (
                isinstance(before, Step)
                and isinstance(after, Step)
                and before not in after._run_after
            ):
                after.run_after(before)


def _flatten(items: Iterable[Any]) -> Iterable[Any]:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        elif isinstance(item, StepSequence):
            yield from item.steps
        else:
            yield item


class StepGraph:
    """Steps and the data between them.

    ``steps`` may nest lists; steps that produce data a listed step consumes (and steps named
    in ``run_after``) join the pipeline too, transitively, as in the old SDK.
    """

    def __init__(
        self,
        workspace: Workspace | None,
        steps: Any,
        description: str | None = None,
        default_datastore: Datastore | None = None,
        default_source_directory: str | None = None,
        resolve_closure: bool = True,
        continue_on_step_failure: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.workspace = workspace or Workspace.current()
        self.description = description
        self.default_source_directory = default_source_directory
        self.continue_on_step_failure = continue_on_step_failure
        self.default_datastore = default_datastore or self.workspace.get_default_datastore()
        given = list(_flatten([steps] if isinstance(steps, (Step, StepSequence)) else steps or []))
        self.steps: list[Any] = _closure(given) if resolve_closure else given
        link_producers_by_name(self.steps)

    @property
    def parameters(self) -> dict[str, PipelineParameter]:
        """Every PipelineParameter the steps use, by name (the first one seen wins)."""
        found: dict[str, PipelineParameter] = {}
        for _step, param in iter_parameters(self.steps):
            found.setdefault(param.name, param)
        return found

    def validate(self, dag_id: str | None = None) -> list[Any]:
        """Check the whole pipeline; raise PipelineValidationError listing every problem."""
        from mlpipelines.model.validation import find_problems

        problems = find_problems(self, dag_id)
        if problems:
            raise PipelineValidationError(problems)
        return []

    def plan(self, dag_id: str | None = None) -> PipelinePlan:
        """Validate this pipeline, then describe each step as a task record; raises on any
        problem."""
        from mlpipelines.model.planning import plan_pipeline

        return plan_pipeline(self, dag_id)


def _closure(given: list[Any]) -> list[Any]:
    ordered: list[Any] = []
    seen: set[int] = set()

    def visit(item: Any) -> None:
        if id(item) in seen:
            return
        seen.add(id(item))
        if isinstance(item, Step):
            for upstream in step_upstreams(item):
                visit(upstream)
        ordered.append(item)

    for item in given:
        visit(item)
    return ordered


def iter_data(step: Step) -> Iterable[tuple[str, Any]]:
    """Each (role, data) a step names: 'input', 'output', 'argument'."""
    for item in step.inputs:
        yield "input", item
    for item in step.outputs:
        yield "output", item
    for item in step.argument_values:
        if isinstance(underlying(item), (PipelineData, DataReference)):
            yield "argument", item
