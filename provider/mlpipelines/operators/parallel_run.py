"""The operators of a ParallelRunStep: planning (split the input), the mapped task (run a
group of mini-batches in worker processes) and gathering (the step's result, under reuse).

The translator renders them as a TaskGroup, ``plan >> run.expand(group=...) >> gather``;
the gathering task carries the step's own task id, so later steps read its outputs as any
step's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpipelines.errors import StepRunError
from mlpipelines.operators.step import StepOperator
from mlpipelines.records import StepDefinition
from mlpipelines.records.parallel_run import (
    BATCHES_XCOM_KEY,
    INPUT_FINGERPRINT_XCOM_KEY,
    plan_task_id,
)
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class ParallelRunPlanOperator(StepOperator):
    """Split a ParallelRunStep's input into mini-batches; push them all (``mini_batches``)
    and return the groups still to run, one per mapped task.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    operator_extra_links = ()  # its work is the step's; the gathering task has the links
    ui_color = "#eef6e8"

    def __init__(
        self, *, step: StepDefinition, reuse_task_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.reuse_task_id = reuse_task_id

    def execute(self, context: Any) -> Any:  # the groups, list[list[dict]]: XCom for expand
        from mlpipelines.runtime.parallel_run_plan import plan_mini_batches

        try:
            plan = plan_mini_batches(self.step, self.step_context(context))
        except StepRunError as exc:
            raise self.step_failure(exc) from None
        context["ti"].xcom_push(key=BATCHES_XCOM_KEY, value=[b.to_json() for b in plan.batches])
        context["ti"].xcom_push(key=INPUT_FINGERPRINT_XCOM_KEY, value=plan.input_fingerprint)
        return [[b.to_json() for b in group] for group in plan.groups]


class ParallelRunBatchesOperator(StepOperator):
    """Run one group of a ParallelRunStep's mini-batches in ``process_count_per_node``
    worker processes (a mapped task: one per group the planning task returned).

    :param step: the step's definition, as planned by the translator.
    :param group: the mini-batches of this mapped task (from the planning task's result).
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    ui_color = "#e3f0da"

    def __init__(
        self,
        *,
        step: StepDefinition,
        group: list[dict[str, Any]],
        reuse_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.group = group
        self.reuse_task_id = reuse_task_id
        self._pool: Any = None

    def execute(self, context: Any) -> None:
        from mlpipelines.runtime.parallel_run_batches import run_mini_batch_group
        from mlpipelines.runtime.parallel_run_plan import MiniBatch

        batches = [MiniBatch.from_json(b) for b in self.group]
        try:
            summary = run_mini_batch_group(
                self.step, self.step_context(context), batches, on_pool=self._remember
            )
        except StepRunError as exc:
            raise self.step_failure(exc) from None
        finally:
            self._pool = None
        context["ti"].xcom_push(
            key="summary",
            value={
                "processed": summary.processed,
                "failed": len(summary.failed),
                "already_done": summary.already_done,
            },
        )

    def _remember(self, pool: Any) -> None:
        self._pool = pool

    def on_kill(self) -> None:
        if self._pool is not None:
            self._pool.kill()


class ParallelRunStepOperator(StepOperator):
    """Gather a ParallelRunStep's mini-batch results into its output (the step's own task).

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    ui_color = "#d5ead0"

    def __init__(
        self, *, step: StepDefinition, reuse_task_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.reuse_task_id = reuse_task_id
        self._batches: list[dict[str, Any]] | None = None
        self._input_fingerprint: str | None = None

    def execute(self, context: Any) -> None:
        plan = plan_task_id(self.step.task_id)
        self._batches = context["ti"].xcom_pull(task_ids=plan, key=BATCHES_XCOM_KEY)
        self._input_fingerprint = context["ti"].xcom_pull(
            task_ids=plan, key=INPUT_FINGERPRINT_XCOM_KEY
        )
        super().execute(context)

    def run_step(self, ctx: StepContext) -> StepResult:
        from mlpipelines.runtime.parallel_run_gather import run_parallel_run_step

        return run_parallel_run_step(self.step, ctx, self._batches, self._input_fingerprint)
