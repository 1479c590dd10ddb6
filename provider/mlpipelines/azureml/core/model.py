"""``azureml.core.model``."""

from mlpipelines.model.registered_model import Model

__all__ = ["Model"]
