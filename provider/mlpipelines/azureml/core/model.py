"""``azureml.core.model``."""

from mlpipelines.model.azure_only_names import InferenceConfig
from mlpipelines.model.registered_model import Model

__all__ = ["InferenceConfig", "Model"]
