"""The operator that runs a PythonScriptStep as a process on the Airflow worker."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowRescheduleException,
    AirflowSkipException,
)

from mlpipelines.errors import StepRunError
from mlpipelines.runtime.step_context import (
    METRICS_XCOM_KEY,
    REUSE_XCOM_KEY,
    StepContext,
    output_xcom_key,
    reused_output,
)

WAIT_FOR_HOLDER_SECONDS = 3


class PythonScriptStepOperator(BaseOperator):
    """Run ``python script_name *arguments`` in a fresh copy of the step's source folder.

    Outputs are published atomically to their per-run place on a datastore and referenced in
    XCom (``output_<name>``); logged metrics go to the ``metrics`` XCom. A step whose reuse
    key has a manifest hands on those outputs instead and shows as skipped; while another run
    computes the same key, the task waits rescheduled, holding no worker slot.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id; outputs of steps it skipped are in its
        ``reuse`` XCom (None where the DAG has no sensor).
    :param interpreter: the Python to run the script with (default: the worker's own).
        (templated)
    :param env: extra environment variables for the script. (templated)
    """

    template_fields: Sequence[str] = ("interpreter", "env")
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        step: dict[str, Any],
        reuse_task_id: str | None = None,
        interpreter: str | None = None,
        env: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.reuse_task_id = reuse_task_id
        self.interpreter = interpreter
        self.env = env
        self._process: subprocess.Popen[bytes] | None = None

    def _pull_output(self, ti: Any, producer: str, name: str) -> dict[str, Any] | None:
        ref = ti.xcom_pull(task_ids=producer, key=output_xcom_key(name))
        if ref is None and self.reuse_task_id:
            reuse = ti.xcom_pull(task_ids=self.reuse_task_id, key=REUSE_XCOM_KEY)
            ref = reused_output(reuse, producer, name)
        return ref

    def execute(self, context: Any) -> None:
        # Imported here, not at module level: DAG files import this module at every parse,
        # and only a running step needs the runtime (snapshots, hashing, reuse).
        from mlpipelines.runtime.python_script import StepHeld, run_python_script_step

        ti = context["ti"]
        ctx = StepContext(
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            task_id=ti.task_id,
            params=dict(context["params"]),
            pull_output=lambda producer, name: self._pull_output(ti, producer, name),
            try_number=getattr(ti, "try_number", 1),
            log=self.log,
        )
        try:
            result = run_python_script_step(
                self.step, ctx, self.interpreter, self.env, on_start=self._remember
            )
        except StepHeld as held:
            self.log.info("waiting: %s", held)
            raise AirflowRescheduleException(
                datetime.now(timezone.utc) + timedelta(seconds=WAIT_FOR_HOLDER_SECONDS)
            ) from None
        except StepRunError as exc:
            raise AirflowException(str(exc)) from None
        finally:
            self._process = None
        for name, ref in result.outputs.items():
            ti.xcom_push(key=output_xcom_key(name), value=ref)
        ti.xcom_push(key=METRICS_XCOM_KEY, value=result.metrics)
        if result.reused is not None:
            raise AirflowSkipException(
                f"reused from run {result.reused.run_id} (key {result.check.key})"
            )

    def _remember(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def on_kill(self) -> None:
        from mlpipelines.runtime.process import kill_process_group

        kill_process_group(self._process)
