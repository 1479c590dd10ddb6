"""``azureml.pipeline.steps.parallel_run_step``."""

from mlpipelines.model.parallel_run import ParallelRunStep

__all__ = ["ParallelRunStep"]
