"""``azureml.exceptions``."""

from mlpipelines.errors import (
    ActivityFailedException,
    ComputeTargetException,
    UserErrorException,
)

__all__ = ["ActivityFailedException", "ComputeTargetException", "UserErrorException"]
