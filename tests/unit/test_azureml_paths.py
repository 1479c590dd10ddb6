"""The old Azure ML SDK v1 import paths re-export the flat API's objects; the provider entry
point is registered."""

from __future__ import annotations

import importlib
import importlib.metadata

import pytest

import mlpipelines
from mlpipelines.client.experiment import Experiment

OLD_PATHS = [
    ("mlpipelines.azureml.core", "Workspace", mlpipelines.Workspace),
    ("mlpipelines.azureml.core", "Datastore", mlpipelines.Datastore),
    ("mlpipelines.azureml.core", "Run", mlpipelines.Run),
    ("mlpipelines.azureml.core", "Experiment", Experiment),
    ("mlpipelines.azureml.core", "ComputeTarget", mlpipelines.ComputeTarget),
    ("mlpipelines.azureml.core.compute", "ComputeTarget", mlpipelines.ComputeTarget),
    ("mlpipelines.azureml.pipeline.core", "Pipeline", mlpipelines.Pipeline),
    ("mlpipelines.azureml.pipeline.core", "PipelineData", mlpipelines.PipelineData),
    ("mlpipelines.azureml.pipeline.core", "PipelineParameter", mlpipelines.PipelineParameter),
    ("mlpipelines.azureml.pipeline.core", "StepSequence", mlpipelines.StepSequence),
    ("mlpipelines.azureml.pipeline.core.graph", "PipelineData", mlpipelines.PipelineData),
    (
        "mlpipelines.azureml.pipeline.core.graph",
        "PipelineParameter",
        mlpipelines.PipelineParameter,
    ),
    ("mlpipelines.azureml.pipeline.steps", "PythonScriptStep", mlpipelines.PythonScriptStep),
    ("mlpipelines.azureml.pipeline.core", "PipelineDraft", mlpipelines.PipelineDraft),
    ("mlpipelines.azureml.pipeline.core.run", "StepRun", mlpipelines.StepRun),
    ("mlpipelines.azureml.pipeline.core.graph", "PortDataReference", mlpipelines.PortDataReference),
    (
        "mlpipelines.azureml.pipeline.core.pipeline_endpoint",
        "PipelineEndpoint",
        mlpipelines.PipelineEndpoint,
    ),
    ("mlpipelines.azureml.data.data_reference", "DataReference", mlpipelines.DataReference),
    (
        "mlpipelines.azureml.exceptions",
        "ComputeTargetException",
        mlpipelines.ComputeTargetException,
    ),
    ("mlpipelines.azureml.exceptions", "UserErrorException", mlpipelines.UserErrorException),
]


@pytest.mark.parametrize(
    ("module", "name", "expected"), OLD_PATHS, ids=[f"{m}.{n}" for m, n, _ in OLD_PATHS]
)
def test_old_path_reexports_the_same_object(module: str, name: str, expected: object) -> None:
    imported = importlib.import_module(module)
    assert getattr(imported, name) is expected
    assert name in imported.__all__


def test_old_experiment_takes_workspace_and_name() -> None:
    from mlpipelines.azureml.core import Experiment as OldExperiment
    from mlpipelines.azureml.core import Workspace

    experiment = OldExperiment(Workspace.current(), "iris")
    assert experiment.name == "iris"


def test_provider_entry_point() -> None:
    points = [
        ep
        for ep in importlib.metadata.entry_points(group="apache_airflow_provider")
        if ep.value.startswith("mlpipelines.")
    ]
    assert len(points) == 1
    info = points[0].load()()
    assert isinstance(info, dict)
    assert info["package-name"] == "airflow-provider-mlpipelines"
    for entry in info.get("operators", []):
        for module in entry["python-modules"]:
            importlib.import_module(module)
