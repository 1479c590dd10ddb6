"""``azureml.pipeline.steps.parallel_run_config``."""

from mlpipelines.model.parallel_run import ParallelRunConfig

__all__ = ["ParallelRunConfig"]
