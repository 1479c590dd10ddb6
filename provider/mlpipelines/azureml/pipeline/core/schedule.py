"""``azureml.pipeline.core.schedule``."""

from mlpipelines.client.recurrence import ScheduleRecurrence
from mlpipelines.client.schedule import Schedule

__all__ = ["Schedule", "ScheduleRecurrence"]
