"""Data named only in arguments and datasets as parameter values, on the real Airflow, submitted
from a client as old Azure ML code does (issue 12, points 3 and 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Experiment, Workspace
from mlpipelines.azureml.data import OutputFileDatasetConfig
from mlpipelines.azureml.data.datapath import DataPath
from mlpipelines.azureml.data.dataset_consumption_config import DatasetConsumptionConfig
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e

PREP = """import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--raw")
parser.add_argument("--out")
args = parser.parse_args()
assert os.path.isfile(args.raw), f"not a file: {args.raw}"
os.makedirs(args.out, exist_ok=True)
with open(args.raw) as source, open(os.path.join(args.out, "rows.csv"), "w") as sink:
    sink.write(source.read())
"""
TRAIN = """import argparse, os
from mlpipelines.azureml.core import Run
parser = argparse.ArgumentParser()
parser.add_argument("--rows")
parser.add_argument("--extra")
args = parser.parse_args()
run = Run.get_context()
assert args.rows == "rows", args.rows
frame = run.input_datasets["rows"].to_pandas_dataframe()
run.log("rows_total", int(frame["x"].sum()))
assert os.path.isfile(args.extra), f"not a file: {args.extra}"
run.log("extra", int(open(args.extra).read().split()[1]))
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _pipeline(ws: Workspace, src: Path) -> Pipeline:
    store = ws.get_default_datastore()
    raw = Dataset.File.from_files(store.path("args_raw/one.csv"))
    prepared = OutputFileDatasetConfig(
        "prepared", destination=(store, "args_prepared/{run-id}/{output-name}")
    )
    prepared = prepared.read_delimited_files().register_on_complete(name="prepared_rows")
    extra = PipelineParameter(
        name="extra_ds", default_value=Dataset.File.from_files(store.path("args_raw/two.csv"))
    )
    PythonScriptStep(  # joins the pipeline as the producer of `prepared`
        "prep.py",
        name="prep",
        source_directory=str(src / "prep"),
        arguments=["--raw", raw.as_named_input("raw").as_download(), "--out", prepared],
    )
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=str(src / "train"),
        arguments=[
            "--rows",
            prepared.as_input("rows"),
            "--extra",
            DatasetConsumptionConfig("extra", extra).as_download(),
        ],
    )
    return Pipeline(ws, [train])


def _metrics(run, step: str) -> dict:
    (step_run,) = run.find_step_run(step)
    return step_run.get_metrics()


def test_data_in_arguments_and_dataset_parameters(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    for name, text in (("one", "x\n1\n2\n3\n"), ("two", "x\n20\n"), ("three", "x\n300\n")):
        _write(airflow.blobstore / "args_raw" / f"{name}.csv", text)
    _write(tmp_path / "src" / "prep" / "prep.py", PREP)
    _write(tmp_path / "src" / "train" / "train.py", TRAIN)
    store = ws.get_default_datastore()
    three = Dataset.File.from_files(store.path("args_raw/three.csv"))

    # Another dataset in place of the default: the chain runs, and the output is registered.
    run = Experiment(ws, "data_in_arguments").submit(
        _pipeline(ws, tmp_path / "src"), pipeline_parameters={"extra_ds": three}
    )
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert _metrics(run, "train") == {"rows_total": 6, "extra": 300}
    registered = Dataset.get_by_name(ws, "prepared_rows")
    assert registered.to_pandas_dataframe()["x"].tolist() == [1, 2, 3]
    (written,) = (airflow.blobstore / "args_prepared").glob("*/prepared/rows.csv")
    assert registered.definition()["sources"] == [
        {
            "datastore": "workspaceblobstore",
            "path": written.parent.relative_to(airflow.blobstore).as_posix(),
        }
    ]

    # Published: a DataPath and a registered dataset, sent as Azure ML's SDK sends them
    # (DataPathAssignments, DataSetDefinitionValueAssignments) through the REST endpoint.
    published = _pipeline(ws, tmp_path / "src").publish("data_in_arguments_pub", version="1")
    by_path = published.submit(
        ws,
        "data_in_arguments",
        pipeline_parameters={"extra_ds": DataPath(store, "args_raw/two.csv")},
    )
    kept = three.register(ws, "args_three", create_new_version=True)
    by_reference = published.submit(ws, "data_in_arguments", pipeline_parameters={"extra_ds": kept})
    for submitted, extra in ((by_path, 20), (by_reference, 300)):
        assert submitted.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
        assert _metrics(submitted, "train") == {"rows_total": 6, "extra": extra}
    with pytest.raises(UserErrorException, match="'nope' is not a dataset parameter"):
        published.submit(ws, "data_in_arguments", pipeline_parameters={"nope": kept})
