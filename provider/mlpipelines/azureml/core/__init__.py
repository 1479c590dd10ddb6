"""``azureml.core``: workspace, datastores, compute targets, experiments, runs."""

from mlpipelines.client.experiment import Experiment
from mlpipelines.model.compute import ComputeTarget
from mlpipelines.model.dataset import Dataset
from mlpipelines.model.datastore import Datastore
from mlpipelines.model.environment import Environment, RunConfiguration
from mlpipelines.model.run import Run
from mlpipelines.model.workspace import Workspace

__all__ = [
    "ComputeTarget",
    "Dataset",
    "Datastore",
    "Environment",
    "Experiment",
    "Run",
    "RunConfiguration",
    "Workspace",
]
