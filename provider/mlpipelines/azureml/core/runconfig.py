"""``azureml.core.runconfig``."""

from mlpipelines.model.environment import RunConfiguration

__all__ = ["RunConfiguration"]
