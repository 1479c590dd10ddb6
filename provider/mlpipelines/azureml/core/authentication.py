"""``azureml.core.authentication``."""

from mlpipelines.client.auth import (
    AzureCliAuthentication,
    InteractiveLoginAuthentication,
    ServicePrincipalAuthentication,
)

__all__ = [
    "AzureCliAuthentication",
    "InteractiveLoginAuthentication",
    "ServicePrincipalAuthentication",
]
