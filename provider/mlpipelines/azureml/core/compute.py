"""``azureml.core.compute``."""

from mlpipelines.model.azure_only_names import (
    AksCompute,
    BatchCompute,
    ComputeInstance,
    DataFactoryCompute,
    HDInsightCompute,
    KubernetesCompute,
    KustoCompute,
    RemoteCompute,
    SynapseCompute,
)
from mlpipelines.model.compute import AdlaCompute, AmlCompute, ComputeTarget
from mlpipelines.model.databricks import DatabricksCompute

__all__ = ["AdlaCompute", "AmlCompute", "ComputeTarget", "DatabricksCompute"]
__all__ += ["AksCompute", "BatchCompute", "ComputeInstance", "DataFactoryCompute", "KustoCompute"]
__all__ += ["HDInsightCompute", "KubernetesCompute", "RemoteCompute", "SynapseCompute"]
