"""The operator that runs a PythonScriptStep as a process on the Airflow worker."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlpipelines.operators.step import StepOperator
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class PythonScriptStepOperator(StepOperator):
    """Run ``python script_name *arguments`` in a fresh copy of the step's source folder.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
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

    def run_step(self, ctx: StepContext) -> StepResult:
        from mlpipelines.runtime.python_script import run_python_script_step

        try:
            return run_python_script_step(
                self.step, ctx, self.interpreter, self.env, on_start=self._remember
            )
        finally:
            self._process = None

    def _remember(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def on_kill(self) -> None:
        from mlpipelines.runtime.process import kill_process_group

        kill_process_group(self._process)
