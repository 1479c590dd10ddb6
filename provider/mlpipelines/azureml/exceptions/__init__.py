"""``azureml.exceptions``."""

from mlpipelines.errors import (
    ActivityFailedException,
    AuthenticationException,
    ComputeTargetException,
    MlPipelinesError,
    ProjectSystemException,
    UserErrorException,
    WebserviceException,
)

AzureMLException = MlPipelinesError
"""The old SDK's base of its exceptions: here the base of every error mlpipelines raises."""

__all__ = [
    "ActivityFailedException",
    "AuthenticationException",
    "AzureMLException",
    "ComputeTargetException",
    "ProjectSystemException",
    "UserErrorException",
    "WebserviceException",
]
