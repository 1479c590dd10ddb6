"""``azureml.core.runconfig``."""

from mlpipelines.model.databricks_libraries import (
    EggLibrary,
    JarLibrary,
    MavenLibrary,
    PyPiLibrary,
    RCranLibrary,
)
from mlpipelines.model.environment import RunConfiguration

__all__ = [
    "EggLibrary",
    "JarLibrary",
    "MavenLibrary",
    "PyPiLibrary",
    "RCranLibrary",
    "RunConfiguration",
]
