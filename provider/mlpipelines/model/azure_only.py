"""Azure-only services (AutoML, HyperDrive, Kusto, Batch, Data Factory, Open Datasets, ...):
importable under their old names, refused with one clear error naming the Airflow way.

Importing never fails, and configuration objects (a HyperDriveConfig, its sampling and
policy, an AutoMLConfig, an estimator, an attach configuration) may be built, so notebook
cells that only describe things still run. The error comes when the service would be used:
a step, a compute target or a run of it is constructed, a configuration is submitted
(``Experiment.submit``) or attached/created (``ComputeTarget.attach``/``create``), or an Open
Dataset is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from mlpipelines.errors import AzureOnlyServiceError


@dataclass(frozen=True)
class AzureOnlyService:
    """A service that exists only on Azure, and what to use on Airflow instead."""

    name: str
    alternative: str

    def refuse(self, what: str) -> NoReturn:
        raise AzureOnlyServiceError(
            f"{what} needs {self.name}, which does not run on Airflow; on Airflow use "
            f"{self.alternative} (see docs/migration.md)"
        )


HYPERDRIVE = AzureOnlyService(
    "Azure ML HyperDrive",
    "one PythonScriptStep per trial, fanned out with Airflow's dynamic task mapping, or "
    "Optuna inside a single PythonScriptStep",
)
AUTOML = AzureOnlyService(
    "Azure automated ML (AutoML)",
    "FLAML or auto-sklearn inside a PythonScriptStep",
)
KUSTO = AzureOnlyService(
    "Azure Data Explorer (Kusto)",
    "an AdlaStep (SQL on DuckDB or a Databricks SQL warehouse), or the Azure Data Explorer "
    "provider's AzureDataExplorerQueryOperator in a DAG of your own",
)
AZURE_BATCH = AzureOnlyService(
    "Azure Batch",
    "a PythonScriptStep on a cluster target with backend='kubernetes' or 'docker' (each step "
    "runs in its own pod or container)",
)
DATA_FACTORY = AzureOnlyService(
    "Azure Data Factory",
    "a DataTransferStep, which copies between any two datastores",
)
OPEN_DATASETS = AzureOnlyService(
    "Azure Open Datasets",
    "the dataset's public file: download it, upload it to a datastore and register it with "
    "Dataset.File.from_files or Dataset.Tabular.from_delimited_files/from_parquet_files",
)
ESTIMATORS = AzureOnlyService(
    "Azure ML estimator runs (deprecated in the Azure ML SDK itself)",
    "a PythonScriptStep with the estimator's entry script, arguments and source_directory",
)
MPI = AzureOnlyService(
    "Azure ML distributed (MPI) jobs",
    "a PythonScriptStep on a cluster target with backend='kubernetes' whose script starts the "
    "distributed run (torchrun, mpirun), or the Kubernetes training operators",
)
AKS = AzureOnlyService(
    "Azure Kubernetes Service through Azure ML (model deployment)",
    "your own model serving; a PythonScriptStep can deploy the model it trained",
)
MODEL_DEPLOYMENT = AzureOnlyService(
    "Azure ML model deployment (ACI, AKS and local web services)",
    "your own model serving: a PythonScriptStep that deploys the registered model "
    "(Model(ws, name).download() into an MLflow, BentoML or FastAPI service), or the Airflow "
    "provider of your serving platform",
)
SYNAPSE = AzureOnlyService(
    "Azure Synapse Analytics Spark pools",
    "a DatabricksStep (a Spark job on a Databricks compute), or PySpark in local mode inside "
    "a PythonScriptStep for data that fits one machine",
)
HDINSIGHT = AzureOnlyService(
    "Azure HDInsight clusters",
    "a DatabricksStep (a Spark job on a Databricks compute), or PySpark in local mode inside "
    "a PythonScriptStep for data that fits one machine",
)
ATTACHED_COMPUTE = AzureOnlyService(
    "a machine or cluster attached to an Azure ML workspace (remote VM, Kubernetes)",
    "an AmlCompute target whose backend ('local', 'docker' or 'kubernetes') runs the steps "
    "from the Airflow workers; to run steps on a given machine, make it an Airflow worker",
)
COMPUTE_INSTANCE = AzureOnlyService(
    "an Azure ML compute instance",
    "any machine for the notebook; steps run on the Airflow workers or an AmlCompute target",
)


class AzureOnlyObject:
    """A step, compute target or run of an Azure-only service: constructing it is the error."""

    service: ClassVar[AzureOnlyService]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.service.refuse(type(self).__name__)


class AzureOnlyConfig:
    """A configuration of an Azure-only service: kept as given (its arguments are attributes)
    so cells that only build it run; submitting, attaching or creating it is the error."""

    service: ClassVar[AzureOnlyService]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def title(self) -> str:
        return type(self).__name__

    def plan(self, *args: Any, **kwargs: Any) -> NoReturn:
        """What ``Experiment.submit`` calls: submitting the configuration."""
        self.service.refuse(f"Experiment.submit({self.title})")

    def register(self, workspace: Any, name: str) -> NoReturn:
        """What ``ComputeTarget.attach`` and ``create`` call."""
        self.service.refuse(f"compute target '{name}' ({self.title})")

    def __repr__(self) -> str:
        given = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.title}({', '.join(given)})"


class _ComputeConfiguration(AzureOnlyConfig):
    """What an Azure-only compute type's ``attach_configuration`` or
    ``provisioning_configuration`` returns."""

    def __init__(self, title: str, service: AzureOnlyService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._title = title
        self._service = service

    @property
    def title(self) -> str:
        return self._title

    def plan(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._service.refuse(f"Experiment.submit({self.title})")

    def register(self, workspace: Any, name: str) -> NoReturn:
        self._service.refuse(f"compute target '{name}' ({self.title})")


class AzureOnlyCompute(AzureOnlyObject):
    """A compute type of an Azure-only service; its configurations may be built."""

    @classmethod
    def attach_configuration(cls, **kwargs: Any) -> AzureOnlyConfig:
        return _ComputeConfiguration(f"{cls.__name__}.attach_configuration", cls.service, **kwargs)

    @classmethod
    def provisioning_configuration(cls, **kwargs: Any) -> AzureOnlyConfig:
        return _ComputeConfiguration(
            f"{cls.__name__}.provisioning_configuration", cls.service, **kwargs
        )


class _OpenDatasetType(type):
    """Any use of an Open Dataset class (``NycTlcGreen(...)``,
    ``Diabetes.get_tabular_dataset()``) is the error."""

    def __call__(cls, *args: Any, **kwargs: Any) -> NoReturn:
        OPEN_DATASETS.refuse(f"Open Dataset {cls.__name__}")

    def __getattr__(cls, attribute: str) -> NoReturn:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        OPEN_DATASETS.refuse(f"Open Dataset {cls.__name__}.{attribute}")


_OPEN_DATASETS: dict[str, type] = {}


def open_dataset(name: str) -> type:
    """The class an ``azureml.opendatasets`` name stands for (any class name: the catalogue
    has hundreds); AttributeError for other names, as a module gives."""
    if not name[:1].isupper():
        raise AttributeError(f"module 'azureml.opendatasets' has no attribute {name!r}")
    if name not in _OPEN_DATASETS:
        doc = f"Azure Open Dataset {name}: refused on use (see docs/migration.md)."
        _OPEN_DATASETS[name] = _OpenDatasetType(name, (), {"__doc__": doc})
    return _OPEN_DATASETS[name]
