"""``azureml.pipeline.core.builder``: ``PipelineStep``, the base of every step class (type
hints, ``isinstance`` checks), and ``StepSequence``."""

from mlpipelines.model.pipeline import StepSequence
from mlpipelines.model.steps import Step as PipelineStep

__all__ = ["PipelineStep", "StepSequence"]
