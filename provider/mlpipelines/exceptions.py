"""``mlpipelines.exceptions``: the errors user code catches, under the old SDK's module name."""

from mlpipelines.errors import (
    ActivityFailedException,
    ComputeTargetException,
    PipelineValidationError,
    StepRunError,
    UserErrorException,
)

__all__ = [
    "ActivityFailedException",
    "ComputeTargetException",
    "PipelineValidationError",
    "StepRunError",
    "UserErrorException",
]
