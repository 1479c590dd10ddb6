"""``azureml.exceptions``."""

from mlpipelines.errors import ComputeTargetException, UserErrorException

__all__ = ["ComputeTargetException", "UserErrorException"]
