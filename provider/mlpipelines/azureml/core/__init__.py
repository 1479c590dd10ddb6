"""``azureml.core``: workspace, datastores, compute targets, experiments, runs."""

from mlpipelines._version import __version__
from mlpipelines.client.experiment import Experiment
from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.model.azure_only_names import Webservice
from mlpipelines.model.compute import ComputeTarget
from mlpipelines.model.dataset import Dataset
from mlpipelines.model.datastore import Datastore
from mlpipelines.model.environment import Environment, RunConfiguration
from mlpipelines.model.keyvault import Keyvault
from mlpipelines.model.registered_model import Model
from mlpipelines.model.run import Run
from mlpipelines.model.script_run_config import ScriptRunConfig
from mlpipelines.model.workspace import Workspace

ScriptRun = PipelineRun
"""What ``Experiment.submit(ScriptRunConfig)`` returns: here the run of a one-step pipeline."""

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
    "ScriptRun",
    "ScriptRunConfig",
    "Webservice",
    "Workspace",
    "__version__",
]
