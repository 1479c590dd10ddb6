"""The operator that runs a DataTransferStep: a verified copy between two datastores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlpipelines.operators.step import DefinitionStepOperator
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class DataTransferStepOperator(DefinitionStepOperator):
    """Copy the step's source (a file or folder on any datastore) to its destination.

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    """

    template_fields: Sequence[str] = ()
    ui_color = "#e3f1fb"

    def run_step(self, ctx: StepContext) -> StepResult:
        from mlpipelines.runtime.data_transfer import run_data_transfer_step

        return run_data_transfer_step(self.step, ctx)
