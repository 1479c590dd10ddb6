"""Dataset classes under the old Azure ML SDK v1 module paths are the same objects."""

from __future__ import annotations

import importlib

import pytest

from mlpipelines.model import dataset

OLD_PATHS = [
    ("mlpipelines.azureml.core.dataset", "Dataset", dataset.Dataset),
    ("mlpipelines.azureml.data.tabular_dataset", "TabularDataset", dataset.TabularDataset),
    ("mlpipelines.azureml.data.file_dataset", "FileDataset", dataset.FileDataset),
    (
        "mlpipelines.azureml.data.dataset_consumption_config",
        "DatasetConsumptionConfig",
        dataset.DatasetConsumptionConfig,
    ),
    ("mlpipelines.azureml.data.datapath", "DataPath", dataset.DataPath),
    ("mlpipelines.azureml.data.dataset_factory", "DataType", dataset.DataType),
    (
        "mlpipelines.azureml.data.dataset_factory",
        "TabularDatasetFactory",
        dataset.TabularDatasetFactory,
    ),
]


@pytest.mark.parametrize(
    ("module", "name", "expected"), OLD_PATHS, ids=[f"{m}.{n}" for m, n, _ in OLD_PATHS]
)
def test_old_path_reexports_the_same_object(module: str, name: str, expected: object) -> None:
    imported = importlib.import_module(module)
    assert getattr(imported, name) is expected
    assert name in imported.__all__
