"""The operator that runs a DatabricksStep as a one-time run on a Databricks workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

from mlpipelines.operators.step import StepOperator
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink
from mlpipelines.records import DatabricksSettings, StepDefinition
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from airflow.providers.databricks.hooks.databricks import DatabricksHook
    from airflow.sdk.types import TaskInstanceKey

    from mlpipelines.runtime.step_run import StepDeferred, StepResult
    from mlpipelines.triggers.databricks import DatabricksRunEnded

RUN_PAGE_URL_XCOM_KEY = "run_page_url"


class DatabricksRunLink(BaseOperatorLink):
    """The Databricks page of the run a step submitted."""

    name = "Databricks run"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        return XCom.get_value(key=RUN_PAGE_URL_XCOM_KEY, ti_key=ti_key) or ""


class DatabricksStepOperator(StepOperator):
    """Submit the step as a one-time Databricks run (``runs/submit``) and wait for its end.

    The run's page is the task's "Databricks run" link; killing the task cancels the run.
    Deferrable, the task submits the run and frees its worker slot; the triggerer watches
    the run (keeping the step's reuse marker alive) and the task resumes in
    ``execute_complete`` to publish the outputs, or fail with the run's error.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    :param databricks_conn_id: the Airflow connection of the workspace (default: the one the
        step's compute target names). (templated)
    :param polling_period_seconds: seconds between looks at the run's state.
    :param deferrable: wait in the triggerer instead of a worker slot (default: the step's
        own choice, else Airflow's ``[operators] default_deferrable``).
    """

    template_fields: Sequence[str] = ("databricks_conn_id",)
    operator_extra_links = (StepOutputsLink(), StepArtifactsLink(), DatabricksRunLink())
    ui_color = "#fbe9e4"

    def __init__(
        self,
        *,
        step: StepDefinition,
        reuse_task_id: str | None = None,
        databricks_conn_id: str | None = None,
        polling_period_seconds: float = 30,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if deferrable is None:
            deferrable = step.deferrable
        if deferrable is None:
            from airflow.sdk.configuration import conf

            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.step = step
        self.reuse_task_id = reuse_task_id
        self.databricks_conn_id = databricks_conn_id or _settings(step).conn_id
        self.polling_period_seconds = polling_period_seconds
        self.deferrable = deferrable
        self._run_id: int | None = None
        self._ti: Any = None

    @cached_property
    def hook(self) -> DatabricksHook:
        from airflow.providers.databricks.hooks.databricks import DatabricksHook

        return DatabricksHook(self.databricks_conn_id, caller=type(self).__name__)

    def execute(self, context: Any) -> None:
        from mlpipelines.runtime.step_run import StepDeferred

        self._ti = context["ti"]
        try:
            super().execute(context)
        except StepDeferred as deferred:
            self._defer(deferred)

    def _defer(self, deferred: StepDeferred) -> None:
        """Hand the submitted run to the triggerer, with what resuming needs (in its event)."""
        from mlpipelines.triggers.databricks import DatabricksStepRunTrigger, HeldKey

        claim = deferred.claim
        assert claim is not None
        held: HeldKey | None = None
        if claim.reusable:
            held = {
                "store": claim.store.to_dict(),
                "key": claim.key,
                "dag_id": claim.dag_id,
                "run_id": claim.run_id,
                "task_id": claim.task_id,
            }
        timeout = _settings(self.step).timeout_seconds
        work = deferred.work
        self.defer(
            trigger=DatabricksStepRunTrigger(
                run_id=work["run_id"],
                databricks_conn_id=self.databricks_conn_id,
                polling_period_seconds=self.polling_period_seconds,
                deadline=None if timeout is None else work["submitted_at"] + timeout,
                held_key=held,
                resume={"work": work, "claim": claim.to_json()},
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: DatabricksRunEnded) -> None:
        """Resume after the run ended: publish and record its outputs, or fail with its error."""

        from mlpipelines.errors import StepRunError
        from mlpipelines.runtime.databricks import resume_databricks_step

        resume = event["resume"]
        try:
            result = resume_databricks_step(
                self._definition(),
                self.step_context(context),
                self.hook,
                resume["work"],
                resume["claim"],
                event,
            )
        except StepRunError as exc:
            raise self.step_failure(exc) from None
        self.hand_on(context["ti"], result)

    def _definition(self) -> StepDefinition:
        """The step's definition, naming the (possibly templated) connection in use."""
        settings = _settings(self.step)
        if self.databricks_conn_id == settings.conn_id:
            return self.step
        return self.step.with_changes(databricks=replace(settings, conn_id=self.databricks_conn_id))

    def run_step(self, ctx: StepContext) -> StepResult:
        from mlpipelines.runtime.databricks import run_databricks_step

        try:
            return run_databricks_step(
                self._definition(),
                ctx,
                self.hook,
                self.polling_period_seconds,
                self._submitted,
                defer=self.deferrable,
            )
        finally:
            self._run_id = None

    def _submitted(self, run_id: int, run_page_url: str) -> None:
        self._run_id = run_id
        if self._ti is not None:
            self._ti.xcom_push(key=RUN_PAGE_URL_XCOM_KEY, value=run_page_url)

    def on_kill(self) -> None:
        run_id = self._run_id
        if run_id is not None:
            self.log.info("cancelling Databricks run %s", run_id)
            self.hook.cancel_run(run_id)


def _settings(step: StepDefinition) -> DatabricksSettings:
    if step.databricks is None:
        raise ValueError(f"step '{step.name}' is no Databricks step")
    return step.databricks
