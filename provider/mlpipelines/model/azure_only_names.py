"""The Azure ML SDK's names for Azure-only services, each refused on use (see azure_only):
steps, compute types and runs refuse construction; configurations and HyperDrive's
parameter expressions are built as given."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from mlpipelines.model.azure_only import (
    AKS,
    ATTACHED_COMPUTE,
    AUTOML,
    AZURE_BATCH,
    COMPUTE_INSTANCE,
    DATA_FACTORY,
    ESTIMATORS,
    HDINSIGHT,
    HYPERDRIVE,
    KUSTO,
    MODEL_DEPLOYMENT,
    MPI,
    SYNAPSE,
    AzureOnlyCompute,
    AzureOnlyConfig,
    AzureOnlyObject,
)

# --- steps and runs (refused when constructed) --------------------------------------------


class AutoMLStep(AzureOnlyObject):
    service = AUTOML


class AutoMLStepRun(AzureOnlyObject):
    service = AUTOML


class AutoMLRun(AzureOnlyObject):
    service = AUTOML


class HyperDriveStep(AzureOnlyObject):
    service = HYPERDRIVE


class HyperDriveRun(AzureOnlyObject):
    service = HYPERDRIVE


class KustoStep(AzureOnlyObject):
    service = KUSTO


class AzureBatchStep(AzureOnlyObject):
    service = AZURE_BATCH


class EstimatorStep(AzureOnlyObject):
    service = ESTIMATORS


class MpiStep(AzureOnlyObject):
    service = MPI


class SynapseSparkStep(AzureOnlyObject):
    service = SYNAPSE


# --- compute types (refused when constructed, attached or created) ------------------------


class KustoCompute(AzureOnlyCompute):
    service = KUSTO


class BatchCompute(AzureOnlyCompute):
    service = AZURE_BATCH


class DataFactoryCompute(AzureOnlyCompute):
    service = DATA_FACTORY


class AksCompute(AzureOnlyCompute):
    service = AKS


class ComputeInstance(AzureOnlyCompute):
    service = COMPUTE_INSTANCE


class SynapseCompute(AzureOnlyCompute):
    service = SYNAPSE


class HDInsightCompute(AzureOnlyCompute):
    service = HDINSIGHT


class RemoteCompute(AzureOnlyCompute):
    service = ATTACHED_COMPUTE


class KubernetesCompute(AzureOnlyCompute):
    service = ATTACHED_COMPUTE


# --- configurations (built as given; refused when submitted) ------------------------------


class AutoMLConfig(AzureOnlyConfig):
    service = AUTOML


class TrainingOutput(AzureOnlyConfig):
    """``TrainingOutput(type="Metrics" | "Model", ...)``: what an AutoMLStep or HyperDriveStep
    writes into a PipelineData; built as given, as those steps are refused."""

    service = AUTOML


class MpiConfiguration(AzureOnlyConfig):
    """``MpiConfiguration(node_count=, process_count_per_node=)``: built as given; a
    ScriptRunConfig holding one runs its command as one process (see model.script_run_config)."""

    service = MPI


class PyTorchConfiguration(AzureOnlyConfig):
    service = MPI


class TensorflowConfiguration(AzureOnlyConfig):
    service = MPI


class HyperDriveConfig(AzureOnlyConfig):
    service = HYPERDRIVE


class RandomParameterSampling(AzureOnlyConfig):
    service = HYPERDRIVE


class GridParameterSampling(AzureOnlyConfig):
    service = HYPERDRIVE


class BayesianParameterSampling(AzureOnlyConfig):
    service = HYPERDRIVE


class BanditPolicy(AzureOnlyConfig):
    service = HYPERDRIVE


class MedianStoppingPolicy(AzureOnlyConfig):
    service = HYPERDRIVE


class TruncationSelectionPolicy(AzureOnlyConfig):
    service = HYPERDRIVE


class NoTerminationPolicy(AzureOnlyConfig):
    service = HYPERDRIVE


class PrimaryMetricGoal(str, enum.Enum):
    """Whether HyperDrive maximizes or minimizes the primary metric."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"


@dataclass(frozen=True)
class ParameterExpression:
    """A HyperDrive search-space expression (``choice(1, 2)``, ``uniform(0, 1)``), as given."""

    kind: str
    arguments: tuple[Any, ...]


def _expression(kind: str) -> Any:
    def build(*arguments: Any) -> ParameterExpression:
        return ParameterExpression(kind, arguments)

    build.__name__ = build.__qualname__ = kind
    build.__doc__ = f"HyperDrive's ``{kind}`` search-space expression, kept as given."
    return build


choice = _expression("choice")
randint = _expression("randint")
uniform = _expression("uniform")
quniform = _expression("quniform")
loguniform = _expression("loguniform")
qloguniform = _expression("qloguniform")
normal = _expression("normal")
qnormal = _expression("qnormal")
lognormal = _expression("lognormal")
qlognormal = _expression("qlognormal")


class Estimator(AzureOnlyConfig):
    service = ESTIMATORS


class SKLearn(AzureOnlyConfig):
    service = ESTIMATORS


class PyTorch(AzureOnlyConfig):
    service = ESTIMATORS


class TensorFlow(AzureOnlyConfig):
    service = ESTIMATORS


class Chainer(AzureOnlyConfig):
    service = ESTIMATORS


class Mpi(AzureOnlyConfig):
    service = MPI


class Gloo(AzureOnlyConfig):
    service = MPI


class Nccl(AzureOnlyConfig):
    service = MPI


class ParameterServer(AzureOnlyConfig):
    service = MPI


# --- model deployment (configurations built as given; services refused) -------------------


class InferenceConfig(AzureOnlyConfig):
    """``InferenceConfig(entry_script=, environment=, source_directory=)``: built as given."""

    service = MODEL_DEPLOYMENT


class DeploymentConfiguration(AzureOnlyConfig):
    """What a web service class's ``deploy_configuration(...)`` returns, built as given."""

    service = MODEL_DEPLOYMENT


class Webservice(AzureOnlyObject):
    """An Azure ML web service: looking one up (``Webservice(ws, name)``) is refused, and so
    is ``Model.deploy``; ``deploy_configuration`` may be built."""

    service = MODEL_DEPLOYMENT

    @staticmethod
    def deploy_configuration(*args: Any, **kwargs: Any) -> DeploymentConfiguration:
        """The deployment settings, kept as given (deploying them is refused)."""
        return DeploymentConfiguration(*args, **kwargs)

    @staticmethod
    def list(*args: Any, **kwargs: Any) -> Any:
        """Refused: there are no Azure ML web services here."""
        MODEL_DEPLOYMENT.refuse("Webservice.list")


class AciWebservice(Webservice):
    service = MODEL_DEPLOYMENT


class AksWebservice(Webservice):
    service = MODEL_DEPLOYMENT


class LocalWebservice(Webservice):
    service = MODEL_DEPLOYMENT
