"""``azureml.pipeline.core.schedule``."""

from mlpipelines.client.recurrence import ScheduleRecurrence
from mlpipelines.client.schedule import Schedule
from mlpipelines.client.time_zones import TimeZone

__all__ = ["Schedule", "ScheduleRecurrence", "TimeZone"]
