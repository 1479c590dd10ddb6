"""``azureml.core.experiment``."""

from mlpipelines.client.experiment import Experiment

__all__ = ["Experiment"]
