"""Airflow DAG `iris_notebook`: a Jupyter notebook as a pipeline step (NotebookRunnerStep).

`prepare_iris` writes scikit-learn's iris data set as CSV; the notebook `train.ipynb` gets
that folder and the forest size through its `parameters` cell, trains a classifier and logs
its accuracy. The executed notebook is kept beside the step's logs
(`artifacts/iris_notebook/<run>/train_notebook/train.output.ipynb`) and, as the output
`executed_notebook`, handed on like any PipelineData. Written the Azure ML SDK v1 way; try
`mlpipelines trigger iris_notebook --param n_estimators=50 --wait`.
"""

from mlpipelines.azureml.contrib.notebook import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
)
from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

ws = Workspace.current()
source = "scripts/iris_notebook"

iris = PipelineData("iris", datastore=ws.get_default_datastore())
n_estimators = PipelineParameter(name="n_estimators", default_value=20)

prepare = PythonScriptStep(
    name="prepare_iris",
    script_name="prepare.py",
    arguments=["--out", iris],
    outputs=[iris],
    source_directory=source,
)
train = NotebookRunnerStep(
    name="train_notebook",
    notebook_run_config=NotebookRunConfig(
        source_directory=source,
        notebook="train.ipynb",
        parameters={"test_size": 0.3},
        handler=AzureMLNotebookHandler(timeout=300),
    ),
    params={"n_estimators": n_estimators},
    inputs=[iris],
    output_notebook_pipeline_data_name="executed_notebook",
)

pipeline = Pipeline(workspace=ws, steps=[train], description="Train on iris in a notebook")
dag = pipeline.to_dag("iris_notebook", tags=["example"])
