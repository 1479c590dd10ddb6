"""``azureml.core.workspace``."""

from mlpipelines.model.workspace import Workspace

__all__ = ["Workspace"]
