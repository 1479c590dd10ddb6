"""Render a ParallelRunStep: a TaskGroup ``plan >> run.expand(group=...) >> gather`` whose
gathering task keeps the step's task id (later steps, the reuse sensor and run details see
one step, as with any other kind)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import TaskGroup

from mlpipelines.records import StepDefinition
from mlpipelines.records.parallel_run import group_id, plan_task_id, run_task_id


def render_parallel_run(
    definition: StepDefinition,
    reuse_task_id: str | None,
    doc_md: str,
    inlets: list[Any],
    outlets: list[Any],
    **task_kwargs: Any,
) -> tuple[Any, Any]:
    """The step's three tasks in their own group; returns (first task, last task), for the
    renderer to wire upstream and downstream. ``definition`` holds the ids the tasks get
    (already qualified inside an enclosing TaskGroup), so the group adds no prefix. The
    planning task reads the step's input (its ``inlets``); the gathering task publishes its
    outputs (its ``outlets``)."""
    from mlpipelines.operators.parallel_run import (
        ParallelRunBatchesOperator,
        ParallelRunPlanOperator,
        ParallelRunStepOperator,
    )

    task_id = definition.task_id
    settings = definition.parallel_run
    processes = settings.process_count_per_node if settings else 1
    with TaskGroup(
        group_id(task_id.rpartition(".")[2]),
        prefix_group_id=False,
        tooltip=f"ParallelRunStep '{definition.name}'",
    ):
        plan = ParallelRunPlanOperator(
            task_id=plan_task_id(task_id),
            step=definition,
            reuse_task_id=reuse_task_id,
            doc_md=f"Splits the input of step '{definition.name}' into mini-batches.",
            **task_kwargs,
        )
        plan.add_inlets(inlets)
        run_kwargs = {k: v for k, v in task_kwargs.items() if k != "trigger_rule"}
        run = ParallelRunBatchesOperator.partial(
            task_id=run_task_id(task_id),
            step=definition,
            reuse_task_id=reuse_task_id,
            doc_md=f"Runs a group of mini-batches in {processes} worker process(es).",
            **run_kwargs,
        ).expand(group=plan.output)
        gather = ParallelRunStepOperator(
            task_id=task_id,
            step=definition,
            reuse_task_id=reuse_task_id,
            doc_md=doc_md,
            **task_kwargs,
        )
        gather.add_outlets(outlets)
        run >> gather
    return plan, gather
