"""``azureml.core.datastore``."""

from mlpipelines.model.datastore import Datastore

__all__ = ["Datastore"]
