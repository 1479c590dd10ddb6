"""``azureml.train.sklearn``."""

from mlpipelines.model.azure_only_names import SKLearn

__all__ = ["SKLearn"]
