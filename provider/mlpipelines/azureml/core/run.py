"""``azureml.core.run``."""

from mlpipelines.model.run import Run

__all__ = ["Run"]
