"""``azureml.core.runconfig``."""

from mlpipelines.model.azure_only_names import (
    MpiConfiguration,
    PyTorchConfiguration,
    TensorflowConfiguration,
)
from mlpipelines.model.conda_dependencies import CondaDependencies
from mlpipelines.model.databricks_libraries import (
    EggLibrary,
    JarLibrary,
    MavenLibrary,
    PyPiLibrary,
    RCranLibrary,
)
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
    "EggLibrary",
    "JarLibrary",
    "MavenLibrary",
    "MpiConfiguration",
    "PyPiLibrary",
    "PyTorchConfiguration",
    "RCranLibrary",
    "RunConfiguration",
    "TensorflowConfiguration",
]
