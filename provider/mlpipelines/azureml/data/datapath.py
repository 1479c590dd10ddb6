"""``azureml.data.datapath``."""

from mlpipelines.model.dataset_sources import DataPath, DataPathComputeBinding

__all__ = ["DataPath", "DataPathComputeBinding"]
