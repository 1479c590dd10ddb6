"""``azureml.core``: workspace, datastores, compute targets, experiments, runs."""

from mlpipelines._version import __version__
from mlpipelines.client.experiment import Experiment
from mlpipelines.model.compute import ComputeTarget
from mlpipelines.model.dataset import Dataset
from mlpipelines.model.datastore import Datastore
from mlpipelines.model.environment import Environment, RunConfiguration
from mlpipelines.model.keyvault import Keyvault
from mlpipelines.model.registered_model import Model
from mlpipelines.model.run import Run
from mlpipelines.model.script_run_config import ScriptRunConfig
from mlpipelines.model.workspace import Workspace

# The old SDK's version string (``azureml.core.VERSION``): here, mlpipelines' version.
VERSION = __version__

__all__ = [
    "VERSION",
    "ComputeTarget",
    "Dataset",
    "Datastore",
    "Environment",
    "Experiment",
    "Keyvault",
    "Model",
    "Run",
    "RunConfiguration",
    "ScriptRunConfig",
    "Workspace",
    "__version__",
]
