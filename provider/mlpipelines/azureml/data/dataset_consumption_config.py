"""``azureml.data.dataset_consumption_config``."""

from mlpipelines.model.dataset import DatasetConsumptionConfig

__all__ = ["DatasetConsumptionConfig"]
