"""``azureml.train.automl.run``."""

from mlpipelines.model.azure_only_names import AutoMLRun

__all__ = ["AutoMLRun"]
