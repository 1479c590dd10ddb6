"""``azureml.data.output_dataset_config``."""

from mlpipelines.model.output_dataset import OutputFileDatasetConfig, OutputTabularDatasetConfig

__all__ = ["OutputFileDatasetConfig", "OutputTabularDatasetConfig"]
