"""``azureml.pipeline.core.module``."""

from mlpipelines.model.module import Module, ModuleVersion, ModuleVersionDescriptor

__all__ = ["Module", "ModuleVersion", "ModuleVersionDescriptor"]
