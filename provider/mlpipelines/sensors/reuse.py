"""The reuse sensor: first task of a pipeline run; skips every step it can reuse at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import DownstreamTasksSkipped
from airflow.sdk.execution_time.xcom import XCom

from mlpipelines.records import PipelineDataInput
from mlpipelines.records.parallel_run import skipped_with
from mlpipelines.records.reserved import REUSE_TASK_ID, REUSE_XCOM_KEY, output_xcom_key

if TYPE_CHECKING:
    from mlpipelines.records import StepDefinition
    from mlpipelines.reuse.step_decisions import RunDecisions, StepDecision

__all__ = ["REUSE_TASK_ID", "ReuseSensor"]


class ReuseSensor(BaseSensorOperator):
    """Compute every step's reuse key it can at run start, hand each hit's outputs and
    metrics on in its ``reuse`` XCom, and skip those steps. While another run computes one
    of the keys, it waits deferred (no worker slot held), then reuses that run's result.

    :param steps: the definitions of the pipeline's steps, producers first.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#f4f0e6"

    def __init__(self, *, steps: list[StepDefinition], **kwargs: Any) -> None:
        kwargs.setdefault("poke_interval", 1)
        kwargs.setdefault("timeout", timedelta(hours=6).total_seconds())
        super().__init__(**kwargs)
        self.steps = steps

    def poke(self, context: Any) -> bool:
        return not self._decide(context).waiting

    def _decide(self, context: Any) -> RunDecisions:
        from mlpipelines.reuse.step_decisions import decide_steps  # run time only

        ti = context["ti"]
        decisions = decide_steps(self.steps, dict(context["params"]), ti.dag_id, ti.run_id)
        for decision in decisions.steps:
            for warning in decision.check.warnings if decision.check else []:
                self.log.warning("%s: %s", decision.task_id, warning)
        if decisions.waiting:
            self.log.info("waiting for other runs:\n%s", decisions.table())
        return decisions

    def execute(self, context: Any) -> None:
        # While another run computes a key: wait in this process a while, then defer and come
        # back when the triggerer sees its holder gone (see triggers/reuse.py for why not
        # sooner). BaseSensorOperator's own loop costs an extra API call per run just to
        # track its timeout, and a waiting run is bounded by the holder's heartbeat anyway.
        waiting_until: float | None = None
        decisions = self._decide(context)
        while decisions.waiting:
            import time

            from mlpipelines.triggers.reuse import (
                WAIT_IN_PROCESS_SECONDS,
                HeldKeyWait,
                HolderGoneTrigger,
                wait_in_process,
            )

            definitions = {d.task_id: d for d in self.steps}
            held = [
                HeldKeyWait(
                    store=definitions[d.task_id].default_datastore.to_dict(), key=d.check.key
                )
                for d in decisions.waiting
                if d.check is not None
            ]
            if waiting_until is None:
                waiting_until = time.monotonic() + WAIT_IN_PROCESS_SECONDS
            if not wait_in_process(held, waiting_until):
                self.defer(
                    trigger=HolderGoneTrigger.from_now(held, poll_seconds=self.poke_interval),
                    method_name="resume_after_holders",
                )
            decisions = self._decide(context)
        ti = context["ti"]
        self.log.info("reuse decisions:\n%s", decisions.table())
        reused = {d.task_id: _hit_record(d) for d in decisions.hits}
        ti.xcom_push(
            key=REUSE_XCOM_KEY,
            value={
                "decisions": {
                    d.task_id: {"decision": d.outcome, "detail": d.detail} for d in decisions.steps
                },
                "reused": reused,
            },
        )
        # Outputs no step of the pipeline reads (what a user's own task after the pipeline
        # may read) also land under the reused step's own task id, where a fresh run puts
        # them. Steps read the rest from the XCom above: one XCom write costs ~10 ms, and a
        # write per output would make reuse cost in proportion to the pipeline's size.
        consumed = {
            (i.producer, i.data)
            for d in self.steps
            for i in d.inputs
            if isinstance(i, PipelineDataInput)
        }
        for task_id, hit in reused.items():
            for name, ref in dict(hit["outputs"]).items():
                if (task_id, name) not in consumed:
                    XCom.set(
                        key=output_xcom_key(name),
                        value=ref,
                        dag_id=ti.dag_id,
                        task_id=task_id,
                        run_id=ti.run_id,
                    )
        if reused:
            kinds = {d.task_id: d.kind for d in self.steps}
            raise DownstreamTasksSkipped(
                tasks=[t for task_id in reused for t in skipped_with(kinds[task_id], task_id)]
            )

    def resume_after_holders(self, context: Any, event: Any = None) -> None:
        """The runs this one waited for are gone: decide again."""
        self.execute(context)


def _hit_record(decision: StepDecision) -> dict[str, Any]:
    """What the sensor hands on of a reused step: its outputs, metrics and where from."""
    check = decision.check
    assert check is not None and check.manifest is not None, "a hit has a manifest"
    manifest = check.manifest
    return {
        "outputs": {name: ref.to_json() for name, ref in manifest.outputs.items()},
        "metrics": manifest.metrics,
        "dag_id": manifest.dag_id,
        "run_id": manifest.run_id,
        "key": check.key,
    }
