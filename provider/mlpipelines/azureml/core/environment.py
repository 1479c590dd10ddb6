"""``azureml.core.environment``."""

from mlpipelines.model.conda_dependencies import CondaDependencies
from mlpipelines.model.environment import (
    DEFAULT_CPU_IMAGE,
    DEFAULT_GPU_IMAGE,
    DockerSection,
    Environment,
    PythonSection,
)

__all__ = [
    "DEFAULT_CPU_IMAGE",
    "DEFAULT_GPU_IMAGE",
    "CondaDependencies",
    "DockerSection",
    "Environment",
    "PythonSection",
]
