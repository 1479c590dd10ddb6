"""``azureml.contrib.notebook.notebook_runner_step``."""

from mlpipelines.model.notebook_step import NotebookRunnerStep

__all__ = ["NotebookRunnerStep"]
