"""``azureml.data.sql_data_reference``."""

from mlpipelines.model.sql_data_reference import SqlDataReference

__all__ = ["SqlDataReference"]
