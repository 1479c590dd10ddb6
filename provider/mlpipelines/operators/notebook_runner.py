"""The operator that runs a NotebookRunnerStep: papermill in a process on the Airflow worker,
the notebook on a kernel of the step's Python."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from mlpipelines.operators.step import DefinitionStepOperator
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class NotebookRunnerStepOperator(DefinitionStepOperator):
    """Execute the step's notebook with papermill in a fresh copy of its source folder.

    The executed notebook is kept beside the step's logs on the default datastore (also
    when a cell fails; the task then fails with that cell's traceback).

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    operator_extra_links = (StepOutputsLink(), StepArtifactsLink())

    ui_color = "#f3e8fb"
    _process: subprocess.Popen[bytes] | None = None

    def run_step(self, ctx: StepContext) -> StepResult:
        # Imported here: DAG files import operator modules at every parse.
        from mlpipelines.runtime.notebook_runner import run_notebook_runner_step

        try:
            return run_notebook_runner_step(self.step, ctx, on_start=self._remember)
        finally:
            self._process = None

    def _remember(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def on_kill(self) -> None:
        from mlpipelines.runtime.process import kill_process_group

        kill_process_group(self._process)
