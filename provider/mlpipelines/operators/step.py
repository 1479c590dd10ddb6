"""What every step operator shares: reading inputs from XCom, reuse, outputs, skip, waits."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseOperator, BaseOperatorLink
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from mlpipelines.errors import StepRunError
from mlpipelines.operators.step_lineage import describe_outlet_events
from mlpipelines.operators.step_links import StepOutputsLink
from mlpipelines.records import OutputReference, StepDefinition
from mlpipelines.records.reserved import (
    DECISION_XCOM_KEY,
    METRICS_XCOM_KEY,
    PARAM_DEFAULT_KEY,
    REUSE_XCOM_KEY,
    output_xcom_key,
)
from mlpipelines.runtime.step_context import StepContext, reused_output

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult

T = TypeVar("T")
Op = TypeVar("Op", bound="StepOperator")
DefinitionOp = TypeVar("DefinitionOp", bound="DefinitionStepOperator")


class StepOperator(BaseOperator):
    """Runs one step of a pipeline; subclasses say how in ``run_step``.

    Outputs go to XCom (``output_<name>``) and metrics, where the step logged any, to
    ``metrics``. A step whose reuse key
    has a manifest hands those outputs on instead and shows as skipped; while another run
    computes the same key, the task waits deferred, holding no worker slot.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id; outputs of steps it skipped are in its
        ``reuse`` XCom (None where the DAG has no sensor).
    """

    # No __init__ here on purpose: Airflow wraps every __init__ of an operator's class
    # hierarchy, and each wrapper deep-copies the DAG's params; one level more would cost
    # every task of a 1000-step DAG ~40 us at parse time. `for_step` sets these two.
    step: StepDefinition
    reuse_task_id: str | None = None
    # What this process handed on, for the extra links and lineage read as the task ends.
    published: dict[str, OutputReference] | None = None
    pulled: dict[tuple[str, str], OutputReference] | None = None
    reused_run_id: str | None = None
    operator_extra_links: Collection[BaseOperatorLink] = (StepOutputsLink(),)

    @classmethod
    def for_step(
        cls: type[Op], *, step: StepDefinition, reuse_task_id: str | None = None, **kwargs: Any
    ) -> Op:
        """This operator for one step: how the translator makes each step's task (``kwargs``
        are BaseOperator's, and the subclass's own)."""
        return cls(step=step, reuse_task_id=reuse_task_id, **kwargs)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """The datasets this run read and wrote, for the OpenLineage provider (which calls
        this only where it is installed)."""
        from mlpipelines.operators.step_lineage import operator_lineage

        return operator_lineage(self)

    def run_step(self, ctx: StepContext) -> StepResult:
        """Reuse or run the step once; raise StepHeld or StepRunError."""
        raise NotImplementedError

    def _pull_output(self, ti: Any, producer: str, name: str) -> OutputReference | None:
        ref = ti.xcom_pull(task_ids=producer, key=output_xcom_key(name))
        if ref is None and self.reuse_task_id:
            reuse = ti.xcom_pull(task_ids=self.reuse_task_id, key=REUSE_XCOM_KEY)
            ref = reused_output(reuse, producer, name)
        if not ref:
            return None
        found = OutputReference.from_json(ref)
        if self.pulled is None:
            self.pulled = {}
        self.pulled[(producer, name)] = found
        return found

    def step_context(self, context: Any) -> StepContext:
        """What the step's runtime knows of this task."""
        ti = context["ti"]
        return StepContext(
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            task_id=ti.task_id,
            params=with_defaults(context["params"], self.dag.params if self.has_dag() else None),
            pull_output=lambda producer, name: self._pull_output(ti, producer, name),
            try_number=getattr(ti, "try_number", 1),
            log=self.log,
        )

    def execute(self, context: Any) -> None:
        ctx = self.step_context(context)
        self.hand_on(context["ti"], self.when_key_is_free(lambda: self.run_step(ctx)))

    def when_key_is_free(self, call: Callable[[], T]) -> T:
        """``call()``, called again each time it raised StepHeld and the other run is gone
        (waiting as ``wait_for_holder`` says); a StepRunError fails the task with its message."""
        # Imported here, not at module level: DAG files import operator modules at every
        # parse, and only a running step needs the runtime (snapshots, hashing, reuse).
        from mlpipelines.runtime.step_run import StepHeld

        waiting_until: float | None = None
        while True:
            try:
                return call()
            except StepHeld as held:
                waiting_until = self.wait_for_holder(held, waiting_until)
            except StepRunError as exc:
                raise self.step_failure(exc) from None

    def step_failure(self, exc: Exception) -> AirflowException:
        """The error for a step's own failure (its script, engine or data): final, since a
        retry would fail the same way, unless the DAG's ``default_args`` ask for retries.
        Other errors (a lost worker, an unreachable datastore) keep the task's retries."""
        dag = self.dag if self.has_dag() else None
        asked = "retries" in (getattr(dag, "default_args", None) or {})
        return AirflowException(str(exc)) if asked else AirflowFailException(str(exc))

    def wait_for_holder(self, held: Any, waiting_until: float | None) -> float:
        """Another run computes this step's key: wait for it in this process a while (then
        the caller tries again), or defer once that while is over (see triggers/reuse.py).
        Returns when the in-process wait ends, for the next call."""
        import time

        from mlpipelines.triggers.reuse import (
            WAIT_IN_PROCESS_SECONDS,
            HeldKeyWait,
            HolderGoneTrigger,
            wait_in_process,
        )

        keys = [HeldKeyWait(store=held.store.to_dict(), key=held.key)]
        if waiting_until is None:
            waiting_until = time.monotonic() + WAIT_IN_PROCESS_SECONDS
            self.log.info("waiting: %s", held)
        if not wait_in_process(keys, waiting_until):
            self.log.info("still waiting, deferred: %s", held)
            self.defer(trigger=HolderGoneTrigger.from_now(keys), method_name="resume_after_holder")
        return waiting_until

    def resume_after_holder(self, context: Any, event: Any = None) -> None:
        """The run that held this step's key is gone: reuse what it made, or run the step."""
        self.execute(context)

    def hand_on(self, ti: Any, result: StepResult) -> None:
        """Push the outputs' references and the metrics; a reused step then shows skipped."""
        reused = result.reused
        self.push_result(
            ti,
            result.outputs,
            result.metrics,
            reused.run_id if reused is not None else None,
            result.check.key if result.check is not None else None,
            explanation=result.check.summary() if result.check is not None else None,
            reused_from=(reused.dag_id, reused.task_id) if reused is not None else None,
        )

    def push_result(
        self,
        ti: Any,
        outputs: dict[str, OutputReference],
        metrics: dict[str, Any],
        reused_run_id: str | None,
        key: str | None,
        explanation: str | None = None,
        reused_from: tuple[str, str] | None = None,
    ) -> None:
        """Push outputs and metrics (from this process or a container's report), and the
        step's reuse decision (what the pipeline view and the reused step's note show); a
        reused step then shows skipped. A step that ran says in each outlet's asset event
        where this run's data are (a reused one makes no event: it wrote nothing).

        ``reused_from`` is the (DAG id, task id) that made a reused result, where known.
        """
        for name, ref in outputs.items():
            ti.xcom_push(key=output_xcom_key(name), value=ref.to_json())
        if metrics:  # each push is a round trip to the API server; no metrics, no XCom
            ti.xcom_push(key=METRICS_XCOM_KEY, value=metrics)
        self.published = outputs
        self.reused_run_id = reused_run_id
        if key is not None:
            decision: dict[str, Any] = {
                "decision": "reuse" if reused_run_id is not None else "run",
                "detail": explanation or "",
                "key": key,
            }
            if reused_run_id is not None:
                dag_id, task_id = reused_from or (ti.dag_id, ti.task_id)
                decision.update(run_id=reused_run_id, dag_id=dag_id, task_id=task_id)
            ti.xcom_push(key=DECISION_XCOM_KEY, value=decision)
        if reused_run_id is not None:
            raise AirflowSkipException(f"reused from run {reused_run_id} (key {key})")
        describe_outlet_events(self, outputs, ti.run_id)


def with_defaults(values: Any, declared: Any) -> dict[str, Any]:
    """A run's parameter values, where a parameter given ``null`` (a trigger-form field the
    user cleared) takes the default its Param's schema keeps (see ``translate/params.py``)."""
    params = dict(values)
    for name, value in params.items():
        if value is None and declared is not None and name in declared:
            schema = declared.get_param(name).schema
            if isinstance(schema, dict) and schema.get(PARAM_DEFAULT_KEY) is not None:
                params[name] = schema[PARAM_DEFAULT_KEY]
    return params


class DefinitionStepOperator(StepOperator):
    """A step operator configured by the step's definition alone (scripts, commands, SQL,
    data transfer, notebooks), made with ``for_step(step=..., reuse_task_id=..., ...)``.

    No class of this hierarchy defines an ``__init__``: Airflow wraps each one and every
    wrapper deep-copies the DAG's Params, so BaseOperator's alone is about 40 us a task less
    at parse time than one level more (a 1,000-step DAG file parses ~40 ms faster).
    ``for_step`` builds the operator with BaseOperator's arguments, then sets the step's.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    @classmethod
    def for_step(
        cls: type[DefinitionOp],
        *,
        step: StepDefinition,
        reuse_task_id: str | None = None,
        **kwargs: Any,
    ) -> DefinitionOp:
        own = {name: kwargs.pop(name) for name in cls.step_arguments if name in kwargs}
        task = cls(**kwargs)
        task.step = step
        task.reuse_task_id = reuse_task_id
        for name, value in own.items():
            setattr(task, name, value)
        return task

    step_arguments: tuple[str, ...] = ()
    """The subclass's own arguments to ``for_step``, set as attributes after construction."""
