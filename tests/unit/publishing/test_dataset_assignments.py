"""Datasets and DataPaths as run values: the REST body's DataSetDefinitionValueAssignments and
the body the clients send for ``pipeline_parameters={name: dataset or DataPath}``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Datastore, Workspace
from mlpipelines.azureml.data.datapath import DataPath
from mlpipelines.publishing.run_request import (
    RunRequestError,
    check_parameters,
    parse_run_request,
    run_request_assignments,
)

DOC = {"kind": "file", "sources": [{"datastore": "lake", "path": "a.csv"}], "steps": []}
PARAMS = [
    {"name": "rows", "default": {"dataset": DOC}, "type": "object"},
    {"name": "where", "default": {"datastore": "lake", "path": "x"}, "type": "object"},
    {"name": "n", "default": 1, "type": "integer"},
]


def test_dataset_assignments_become_conf_values():
    for value, conf in (
        ({"DataSetReference": {"Id": "abc"}}, {"registered": {"id": "abc"}}),
        ({"SavedDataSetReference": {"Id": "abc"}}, {"registered": {"id": "abc"}}),
        (
            {"DataSetReference": {"Name": "iris", "Version": 2}},
            {"registered": {"name": "iris", "version": "2"}},
        ),
        (
            {"DataSetReference": {"Name": "iris"}},
            {"registered": {"name": "iris", "version": "latest"}},
        ),
        (
            {"DataPath": {"DataStoreName": "lake", "RelativePath": "b.csv"}},
            {"datastore": "lake", "path": "b.csv"},
        ),
        ({"Definition": DOC}, {"dataset": DOC}),
    ):
        request = parse_run_request({"DataSetDefinitionValueAssignments": {"rows": value}}, PARAMS)
        assert request.conf == {"rows": conf}


def test_bad_dataset_assignments_are_refused_by_name():
    for body, says in (
        ({"where": {"DataSetReference": {"Id": "a"}}}, "'where' is not a dataset parameter"),
        ({"n": {"DataSetReference": {"Id": "a"}}}, "it has: rows"),
        ({"rows": {"DataSetReference": {}}}, r"\['rows'\] needs DataSetReference"),
        ({"rows": "iris"}, r"\['rows'\] needs DataSetReference"),
        (
            {"rows": {"DataPath": {"DataStoreName": "lake", "RelativePath": "../x"}}},
            "leaves the datastore",
        ),
    ):
        with pytest.raises(RunRequestError, match=says):
            parse_run_request({"DataSetDefinitionValueAssignments": body}, PARAMS)
    with pytest.raises(RunRequestError, match="must be a JSON object"):
        parse_run_request({"DataSetDefinitionValueAssignments": ["rows"]}, PARAMS)


def test_clients_send_datasets_and_data_paths_as_azure_ml_does(tmp_path: Path):
    ws = Workspace.current()
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    lake = Datastore.register_local_folder(ws, "assign_lake", str(tmp_path / "lake"))
    files = Dataset.File.from_files((lake, "a.csv"))
    registered = files.register(ws, "assign_files", create_new_version=True)
    body = run_request_assignments(
        {"rows": files, "kept": registered, "where": DataPath(lake, "a.csv"), "n": 3}
    )
    assert body == {
        "ParameterAssignments": {"n": 3},
        "DataPathAssignments": {"where": {"DataStoreName": "assign_lake", "RelativePath": "a.csv"}},
        "DataSetDefinitionValueAssignments": {
            "rows": {"Definition": files.to_dict()},
            "kept": {"DataSetReference": {"Id": registered.id}},
        },
    }
    # Experiment.submit checks values the same way: objects become their JSON conf values.
    conf = check_parameters({"rows": files, "where": DataPath(lake, "a.csv")}, PARAMS)
    assert conf == {
        "rows": {"dataset": files.to_dict()},
        "where": {"datastore": "assign_lake", "path": "a.csv"},
    }
