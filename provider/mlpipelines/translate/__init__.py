"""Planned pipeline -> Airflow: render task records as operators in a DAG or a TaskGroup,
and keep plans as versioned JSON specs."""

from __future__ import annotations

from mlpipelines.records.plan import ParamSpec, PipelinePlan, TaskSpec

__all__ = ["ParamSpec", "PipelinePlan", "TaskSpec"]
