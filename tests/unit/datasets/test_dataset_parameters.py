"""A dataset input bound to a parameter reads the dataset the run's value names."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Datastore, Workspace
from mlpipelines.datasets.dataset_parameters import resolve_dataset_input
from mlpipelines.errors import StepRunError
from mlpipelines.records import DatasetInput


@pytest.fixture
def lake(tmp_path: Path) -> Datastore:
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "lake" / "b.csv").write_text("x\n2\n", encoding="utf-8")
    return Datastore.register_local_folder(
        Workspace.current(), "param_lake", str(tmp_path / "lake")
    )


def _input(dataset, mode="direct") -> DatasetInput:
    consumption = {"name": "rows", "mode": mode, "path_on_compute": None, "dataset": dataset}
    return DatasetInput("rows", consumption, mode, None, {}, "rows_param")


def test_run_values_name_the_dataset(lake: Datastore) -> None:
    default = Dataset.Tabular.from_delimited_files((lake, "a.csv"), separator=";")
    other = Dataset.Tabular.from_delimited_files((lake, "b.csv"))
    spec = _input(default.definition())
    assert resolve_dataset_input(spec, {}) is spec
    assert resolve_dataset_input(spec, {"rows_param": None}) is spec
    given = resolve_dataset_input(spec, {"rows_param": {"dataset": other.to_dict()}})
    assert given.dataset == other.definition()
    path = resolve_dataset_input(spec, {"rows_param": {"datastore": "param_lake", "path": "b.csv"}})
    # A DataPath is read as the default was: the same kind and reader.
    assert path.dataset == {
        "kind": "tabular",
        "sources": [{"datastore": "param_lake", "path": "b.csv"}],
        "steps": [],
        "reader": default.definition()["reader"],
    }
    registered = other.register(Workspace.current(), "param_rows", create_new_version=True)
    for value in ({"name": "param_rows", "version": "latest"}, {"id": registered.id}):
        found = resolve_dataset_input(spec, {"rows_param": {"registered": value}})
        assert found.dataset == other.definition()


def test_bad_run_values_name_the_input_and_parameter(lake: Datastore) -> None:
    files = Dataset.File.from_files((lake, "a.csv"))
    tabular = Dataset.Tabular.from_delimited_files((lake, "a.csv"))
    spec = _input(files.definition(), mode="download")
    with pytest.raises(StepRunError, match=r"input 'rows' \(parameter 'rows_param'\).*names no"):
        resolve_dataset_input(spec, {"rows_param": "a.csv"})
    with pytest.raises(StepRunError, match="no dataset registered as 'ghost'"):
        resolve_dataset_input(spec, {"rows_param": {"registered": {"name": "ghost"}}})
    with pytest.raises(StepRunError, match="a download input needs a file dataset"):
        resolve_dataset_input(spec, {"rows_param": {"dataset": tabular.to_dict()}})
