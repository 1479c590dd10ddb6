"""Pipeline -> Airflow: plan (plain records) then render (operators in a DAG or TaskGroup)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpipelines.translate.plan import PipelinePlan, TaskSpec, plan_pipeline

if TYPE_CHECKING:
    from mlpipelines.model.pipeline import Pipeline


def pipeline_to_dag(pipeline: Pipeline, dag_id: str, **dag_kwargs: Any) -> Any:
    """Validate and translate a pipeline into an ``airflow.sdk.DAG``."""
    from mlpipelines.translate.render import render_dag

    return render_dag(plan_pipeline(pipeline, dag_id), dag_id, **dag_kwargs)


def pipeline_to_task_group(pipeline: Pipeline, group_id: str, **group_kwargs: Any) -> Any:
    """Validate and translate a pipeline into a TaskGroup of the DAG being defined."""
    from mlpipelines.translate.render import render_task_group

    return render_task_group(plan_pipeline(pipeline, group_id), group_id, **group_kwargs)


__all__ = ["PipelinePlan", "TaskSpec", "pipeline_to_dag", "pipeline_to_task_group", "plan_pipeline"]
