"""``azureml.core.resource_configuration``."""

from mlpipelines.model.registered_model import ResourceConfiguration

__all__ = ["ResourceConfiguration"]
