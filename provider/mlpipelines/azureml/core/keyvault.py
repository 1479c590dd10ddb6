"""``azureml.core.keyvault``: the workspace's secrets."""

from mlpipelines.model.keyvault import Keyvault

__all__ = ["Keyvault"]
