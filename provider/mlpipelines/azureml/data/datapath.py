"""``azureml.data.datapath``."""

from mlpipelines.model.dataset import DataPath

__all__ = ["DataPath"]
