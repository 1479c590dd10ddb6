"""The operator that runs an analytics (SQL) step: on DuckDB embedded in the Airflow worker,
or on a Databricks SQL warehouse where the step's compute target says so."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlpipelines.operators.step import DefinitionStepOperator
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class AnalyticsStepOperator(DefinitionStepOperator):
    """Run the step's SQL script over its inputs (each a view) and write its outputs as Parquet.

    On a Databricks SQL warehouse the statements go through the Databricks provider's hook;
    killing the task cancels the statement running then.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    operator_extra_links = (StepOutputsLink(), StepArtifactsLink())

    template_fields: Sequence[str] = ()
    ui_color = "#fdf3e1"
    _statement_id: str | None = None
    _hook: object = None

    def run_step(self, ctx: StepContext) -> StepResult:
        compute = self.step.compute
        if compute is not None and compute.engine == "databricks_sql" and compute.conn_id:
            from airflow.providers.databricks.hooks.databricks import DatabricksHook

            from mlpipelines.runtime.analytics_warehouse import run_warehouse_analytics_step

            hook = DatabricksHook(compute.conn_id, caller=type(self).__name__)
            self._hook = hook
            return run_warehouse_analytics_step(
                self.step, ctx, hook, on_statement=self._remember_statement
            )
        from mlpipelines.runtime.analytics import run_analytics_step

        return run_analytics_step(self.step, ctx)

    def _remember_statement(self, statement_id: str | None) -> None:
        self._statement_id = statement_id

    def on_kill(self) -> None:
        statement_id, hook = self._statement_id, self._hook
        if statement_id is not None and hook is not None:
            self.log.info("cancelling Databricks SQL statement %s", statement_id)
            hook.cancel_sql_statement(statement_id)  # type: ignore[attr-defined]
