"""The operator that runs a CommandStep: its command as a process on the Airflow worker, or,
on a cluster with a pod or container backend, in a pod or container (as a script step)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlpipelines.operators.python_script import PythonScriptStepOperator
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class CommandStepOperator(PythonScriptStepOperator):
    """Run the step's command (an argv list, no shell) in a fresh copy of its source folder.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    :param interpreter: the Python whose folder leads the command's PATH (default: the
        worker's own). (templated)
    :param env: extra environment variables for the command. (templated)
    """

    ui_color = "#eaf5e4"

    def run_step(self, ctx: StepContext) -> StepResult:
        from mlpipelines.runtime.command_step import run_command_step

        try:
            return run_command_step(
                self.step, ctx, self.interpreter, self.env, on_start=self._remember
            )
        finally:
            self._process = None
