"""``azureml.core.databricks``: the libraries a DatabricksStep installs on its cluster."""

from mlpipelines.model.databricks_libraries import (
    EggLibrary,
    JarLibrary,
    MavenLibrary,
    PyPiLibrary,
    RCranLibrary,
)

__all__ = ["EggLibrary", "JarLibrary", "MavenLibrary", "PyPiLibrary", "RCranLibrary"]
