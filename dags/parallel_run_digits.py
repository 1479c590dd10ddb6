"""Airflow DAG `parallel_run_digits`: batch scoring with a ParallelRunStep, as the Azure ML
sample file-dataset-image-inference-mnist does it.

`prepare` trains a classifier on scikit-learn's digits and writes 300 held-out digits as
small CSV files to the default datastore; `score` runs `digit_identification.py` over them
in mini-batches of 10 files, two worker processes per mapped task; `report` reads the
appended rows. A re-run scores only digits that are new or changed.
"""

from mlpipelines.azureml.core import Dataset, Workspace
from mlpipelines.azureml.data.data_reference import DataReference
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import (
    ParallelRunConfig,
    ParallelRunStep,
    PythonScriptStep,
)

ws = Workspace.current()
datastore = ws.get_default_datastore()
source = "scripts/parallel_digits"

images = DataReference(
    datastore=datastore, data_reference_name="digit_images", path_on_datastore="examples/digits"
)
model = PipelineData("model", datastore=datastore)
prepare = PythonScriptStep(
    name="prepare",
    script_name="prepare.py",
    arguments=["--images", images, "--model", model],
    outputs=[images, model],
    source_directory=source,
)

digits = Dataset.File.from_files(path=(datastore, "examples/digits/*.csv"), validate=False)
inferences = PipelineData("inferences", datastore=datastore)
parallel_run_config = ParallelRunConfig(
    source_directory=source,
    entry_script="digit_identification.py",
    mini_batch_size="10",
    error_threshold=10,
    output_action="append_row",
    process_count_per_node=2,
    node_count=2,
)
score = ParallelRunStep(
    name="score",
    parallel_run_config=parallel_run_config,
    inputs=[digits.as_named_input("digits")],
    side_inputs=[model],
    output=inferences,
    arguments=["--model", model],
)
score.run_after(prepare)  # the dataset's files are written by `prepare`
report = PythonScriptStep(
    name="report",
    script_name="report.py",
    arguments=["--inferences", inferences],
    inputs=[inferences],
    source_directory=source,
)

pipeline = Pipeline(workspace=ws, steps=[report], description="Score digits in mini-batches")
dag = pipeline.to_dag("parallel_run_digits", tags=["example"])
