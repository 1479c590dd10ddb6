"""The operator that runs an analytics (SQL) step on DuckDB embedded in the Airflow worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlpipelines.operators.step import DefinitionStepOperator
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class AnalyticsStepOperator(DefinitionStepOperator):
    """Run the step's SQL script over its inputs (each a view) and write its outputs as Parquet.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    template_fields: Sequence[str] = ()
    ui_color = "#fdf3e1"

    def run_step(self, ctx: StepContext) -> StepResult:
        from mlpipelines.runtime.analytics import run_analytics_step

        return run_analytics_step(self.step, ctx)
