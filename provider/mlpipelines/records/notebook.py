"""A NotebookRunnerStep's settings: the notebook's literal parameters, where the executed
notebook goes, and how papermill runs it (kernel, cell timeout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlpipelines.records.step import StepDefinition


@dataclass
class NotebookSettings:
    """How a notebook step runs; its notebook is the definition's ``script_name``.

    :param output_notebook: the executed notebook's path, relative to the step's artifacts
        folder (Azure ML's default: ``<notebook stem>.output.ipynb``).
    :param parameters: literal notebook parameters (JSON values, types kept): the run
        configuration's ``parameters`` updated by the step's literal ``params``. Data and
        pipeline parameters are the definition's inputs, outputs and ``params`` tokens.
    :param output_notebook_data: the output (a PipelineData) that also receives the
        executed notebook (``output_notebook_pipeline_data_name``), if any.
    :param kernel_name: a Jupyter kernel to run it on (default: one on the step's Python).
    :param timeout: seconds a cell may run (default: no limit).
    """

    output_notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    output_notebook_data: str | None = None
    kernel_name: str | None = None
    timeout: int | None = None

    def reuse_component(self) -> dict[str, Any]:
        """What decides the step's result besides the common fields (not the timeout)."""
        return {
            "output_notebook": self.output_notebook,
            "parameters": dict(sorted(self.parameters.items())),
            "output_notebook_data": self.output_notebook_data,
            "kernel_name": self.kernel_name,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.reuse_component(), "timeout": self.timeout}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotebookSettings:
        return cls(
            output_notebook=data["output_notebook"],
            parameters=dict(data.get("parameters") or {}),
            output_notebook_data=data.get("output_notebook_data"),
            kernel_name=data.get("kernel_name"),
            timeout=data.get("timeout"),
        )


def notebook_engine(definition: StepDefinition) -> dict[str, Any] | None:
    """A notebook step's part of its reuse key (see ``StepKind.engine``)."""
    return definition.notebook.reuse_component() if definition.notebook else None
