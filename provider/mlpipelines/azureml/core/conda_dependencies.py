"""``azureml.core.conda_dependencies``."""

from mlpipelines.model.conda_dependencies import CondaDependencies

__all__ = ["CondaDependencies"]
