"""``azureml.pipeline.steps.command_step``."""

from mlpipelines.model.command_step import CommandStep

__all__ = ["CommandStep"]
