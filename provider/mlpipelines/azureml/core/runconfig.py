"""``azureml.core.runconfig``."""

from mlpipelines.model.conda_dependencies import CondaDependencies
from mlpipelines.model.environment import (
    DEFAULT_CPU_IMAGE,
    DEFAULT_GPU_IMAGE,
    DockerConfiguration,
    RunConfiguration,
)

__all__ = [
    "DEFAULT_CPU_IMAGE",
    "DEFAULT_GPU_IMAGE",
    "CondaDependencies",
    "DockerConfiguration",
    "RunConfiguration",
]
