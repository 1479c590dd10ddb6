"""``azureml.pipeline.steps.automl_step``."""

from mlpipelines.model.azure_only_names import AutoMLStep, AutoMLStepRun

__all__ = ["AutoMLStep", "AutoMLStepRun"]
