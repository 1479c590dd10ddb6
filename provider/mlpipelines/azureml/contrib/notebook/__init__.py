"""``azureml.contrib.notebook``."""

from mlpipelines.model.notebook_step import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
    PapermillExecutionHandler,
)

__all__ = [
    "AzureMLNotebookHandler",
    "NotebookRunConfig",
    "NotebookRunnerStep",
    "PapermillExecutionHandler",
]
