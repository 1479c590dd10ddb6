"""The operator that runs a PythonScriptStep as a process on the Airflow worker."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException

from mlpipelines.errors import StepRunError
from mlpipelines.runtime.process import kill_process_group
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import (
    METRICS_XCOM_KEY,
    StepContext,
    output_xcom_key,
)


class PythonScriptStepOperator(BaseOperator):
    """Run ``python script_name *arguments`` in a fresh copy of the step's source folder.

    Outputs are published atomically to their per-run place on a datastore and referenced in
    XCom (``output_<name>``); logged metrics go to the ``metrics`` XCom.

    :param step: the step's definition, as planned by the translator.
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
        interpreter: str | None = None,
        env: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.interpreter = interpreter
        self.env = env
        self._process: subprocess.Popen[bytes] | None = None

    def execute(self, context: Any) -> None:
        ti = context["ti"]
        ctx = StepContext(
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            task_id=ti.task_id,
            params=dict(context["params"]),
            pull_output=lambda producer, name: ti.xcom_pull(
                task_ids=producer, key=output_xcom_key(name)
            ),
            try_number=getattr(ti, "try_number", 1),
            log=self.log,
        )
        try:
            result = run_python_script_step(
                self.step, ctx, self.interpreter, self.env, on_start=self._remember
            )
        except StepRunError as exc:
            raise AirflowException(str(exc)) from None
        finally:
            self._process = None
        for name, ref in result.outputs.items():
            ti.xcom_push(key=output_xcom_key(name), value=ref)
        ti.xcom_push(key=METRICS_XCOM_KEY, value=result.metrics)

    def _remember(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def on_kill(self) -> None:
        kill_process_group(self._process)
