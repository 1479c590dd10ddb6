"""Another step's output read as a table, transformed as the nyc-taxi sample does it:
``output.parse_parquet_files(file_extension=None).keep_columns([...])`` in the next step's
inputs; the script gets ``Run.get_context().input_datasets[name]`` with only those columns."""

from __future__ import annotations

import json
import uuid

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext

SPLIT = """import os, sys
import pandas as pd
out = sys.argv[sys.argv.index("--output_split_train") + 1]
os.makedirs(out, exist_ok=True)
pd.DataFrame({"pickup_weekday": [1, 2, 3], "distance": [1.5, 2.5, 3.5], "cost": [9, 8, 7]}
             ).to_parquet(os.path.join(out, "part-0.parquet"))
"""
TRAIN = """import json, os, sys
from mlpipelines.azureml.core import Run
frame = Run.get_context().input_datasets["train_data"].to_pandas_dataframe()
out = sys.argv[sys.argv.index("--model") + 1]
json.dump({"columns": list(frame.columns), "rows": len(frame)},
          open(os.path.join(out, "seen.json"), "w"))
"""


def test_a_parsed_output_keeps_only_the_chosen_columns(tmp_path):
    ws = Workspace.current()
    for name, text in (("split.py", SPLIT), ("train.py", TRAIN)):
        (tmp_path / name).write_text(text)
    output_split_train = PipelineData("output_split_train", datastore=ws.get_default_datastore())
    model = PipelineData("model", datastore=ws.get_default_datastore())
    split = PythonScriptStep(
        name="train/test split",
        script_name="split.py",
        arguments=["--output_split_train", output_split_train],
        outputs=[output_split_train],
        source_directory=str(tmp_path),
    )
    training = (
        output_split_train.parse_parquet_files(file_extension=None)
        .keep_columns(["pickup_weekday", "cost"])
        .as_named_input("train_data")
    )
    train = PythonScriptStep(
        name="train",
        script_name="train.py",
        arguments=["--model", model],
        inputs=[training],
        outputs=[model],
        source_directory=str(tmp_path),
    )
    plan = plan_pipeline(Pipeline(ws, [split, train]))
    run_id = f"r{uuid.uuid4().hex[:6]}"
    first, second = (t.definition for t in plan.tasks)
    produced = run_python_script_step(
        first, StepContext("nyc", run_id, first.task_id, {}, pull_output=lambda *_: None)
    )
    pushed = {(first.task_id, "output_split_train"): produced.outputs["output_split_train"]}
    ctx = StepContext(
        "nyc", run_id, second.task_id, {}, pull_output=lambda task, out: pushed.get((task, out))
    )
    result = run_python_script_step(second, ctx)
    folder = ws.get_default_datastore().root / result.outputs["model"].path
    assert json.loads((folder / "seen.json").read_text()) == {
        "columns": ["pickup_weekday", "cost"],
        "rows": 3,
    }


def test_a_transformation_needs_a_tabular_input():
    data = PipelineData("raw")
    with pytest.raises(UserErrorException, match="keep_columns on 'raw' needs a tabular input"):
        data.as_input("raw").keep_columns(["a"])
