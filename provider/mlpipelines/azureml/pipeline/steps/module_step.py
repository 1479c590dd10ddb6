"""``azureml.pipeline.steps.module_step``."""

from mlpipelines.model.module_step import ModuleStep

__all__ = ["ModuleStep"]
