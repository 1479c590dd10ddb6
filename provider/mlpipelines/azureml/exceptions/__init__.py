"""``azureml.exceptions``."""

from mlpipelines.errors import (
    ActivityFailedException,
    ComputeTargetException,
    UserErrorException,
    WebserviceException,
)

__all__ = [
    "ActivityFailedException",
    "ComputeTargetException",
    "UserErrorException",
    "WebserviceException",
]
