"""The graph a pipeline's steps form: which steps come before a step, and where parameters
are used. Read by the pipeline, its validation and its plan."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlpipelines.model.data import PipelineData, underlying
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.steps import Step


def step_upstreams(step: Step) -> list[Step]:
    """The steps that must finish before ``step``: producers of its inputs, then run_after."""
    upstream: list[Step] = []
    for item in step.inputs:
        data = underlying(item)
        if isinstance(data, PipelineData):
            upstream += [p for p in data._producers if p is not step and p not in upstream]
    upstream += [s for s in step._run_after if isinstance(s, Step) and s not in upstream]
    return upstream


def iter_parameters(steps: Iterable[Any]) -> Iterable[tuple[Step, PipelineParameter]]:
    """Each (step, parameter) use in arguments and params, in order."""
    for step in steps:
        if not isinstance(step, Step):
            continue
        for value in [*step.argument_values, *step.param_values.values(), *step.inputs]:
            if isinstance(value, PipelineParameter):
                yield step, value
            elif isinstance(value, tuple) and value and isinstance(value[0], PipelineParameter):
                yield step, value[0]  # a (DataPath parameter, binding) input
            elif isinstance(getattr(value, "pipeline_parameter", None), PipelineParameter):
                yield step, value.pipeline_parameter  # a dataset parameter's consumption
