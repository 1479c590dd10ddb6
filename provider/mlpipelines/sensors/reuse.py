"""The reuse sensor: first task of a pipeline run; skips every step it can reuse at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import DownstreamTasksSkipped
from airflow.sdk.execution_time.xcom import XCom

from mlpipelines._naming import REUSE_TASK_ID
from mlpipelines.reuse.step_decisions import RunDecisions, decide_steps
from mlpipelines.runtime.step_context import (
    DECISIONS_XCOM_KEY,
    METRICS_XCOM_KEY,
    REUSED_XCOM_KEY,
    output_xcom_key,
)

__all__ = ["REUSE_TASK_ID", "ReuseSensor"]


class ReuseSensor(BaseSensorOperator):
    """Compute every step's reuse key it can at run start, push each hit's outputs and
    metrics as that step's own XComs, and skip those steps. While another run computes one
    of the keys, it waits rescheduled (no worker slot held), then reuses that run's result.

    :param steps: the definitions of the pipeline's steps, producers first.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#f4f0e6"

    def __init__(self, *, steps: list[dict[str, Any]], **kwargs: Any) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", 3)
        kwargs.setdefault("timeout", timedelta(hours=6).total_seconds())
        super().__init__(**kwargs)
        self.steps = steps
        self._decisions: RunDecisions | None = None

    def poke(self, context: Any) -> bool:
        ti = context["ti"]
        self._decisions = decide_steps(self.steps, dict(context["params"]), ti.dag_id, ti.run_id)
        for decision in self._decisions.steps:
            for warning in decision.check.warnings if decision.check else []:
                self.log.warning("%s: %s", decision.task_id, warning)
        if self._decisions.waiting:
            self.log.info("waiting for other runs:\n%s", self._decisions.table())
            return False
        return True

    def execute(self, context: Any) -> None:
        super().execute(context)
        decisions = self._decisions
        ti = context["ti"]
        self.log.info("reuse decisions:\n%s", decisions.table())
        reused = {
            d.task_id: {
                "outputs": d.check.manifest.outputs,
                "metrics": d.check.manifest.metrics,
                "dag_id": d.check.manifest.dag_id,
                "run_id": d.check.manifest.run_id,
                "key": d.check.key,
            }
            for d in decisions.hits
        }
        for task_id, hit in reused.items():
            # Each reused step's outputs and metrics land under its own task id, exactly as
            # a fresh run of it would push them, so any reader (our steps, a user's task)
            # finds them in the same place.
            for name, ref in hit["outputs"].items():
                XCom.set(
                    key=output_xcom_key(name),
                    value=ref,
                    dag_id=ti.dag_id,
                    task_id=task_id,
                    run_id=ti.run_id,
                )
            XCom.set(
                key=METRICS_XCOM_KEY,
                value=hit["metrics"],
                dag_id=ti.dag_id,
                task_id=task_id,
                run_id=ti.run_id,
            )
        ti.xcom_push(key=REUSED_XCOM_KEY, value=reused)
        ti.xcom_push(
            key=DECISIONS_XCOM_KEY,
            value={d.task_id: {"decision": d.outcome, "detail": d.detail} for d in decisions.steps},
        )
        if reused:
            raise DownstreamTasksSkipped(tasks=list(reused))
