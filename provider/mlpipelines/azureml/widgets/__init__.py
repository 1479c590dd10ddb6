"""``azureml.widgets``: ``RunDetails(run).show()``."""

from mlpipelines.client.run_details import RunDetails

__all__ = ["RunDetails"]
