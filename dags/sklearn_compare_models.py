"""Airflow DAG `sklearn_compare_models`: prepare data, train two models in parallel, compare.

Written the Azure ML SDK v1 way; the only edit from such code is the `mlpipelines.` import
prefix. Trigger it with a different forest size:
`mlpipelines trigger sklearn_compare_models --param n_estimators=200 --wait`.
"""

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

ws = Workspace.current()
datastore = ws.get_default_datastore()
source = "scripts/sklearn_compare"

n_estimators = PipelineParameter(name="n_estimators", default_value=100)
regularization = PipelineParameter(name="C", default_value=1.0)
test_size = PipelineParameter(name="test_size", default_value=0.25)

prepared = PipelineData("prepared", datastore=datastore)
forest_model = PipelineData("forest_model", datastore=datastore)
logistic_model = PipelineData("logistic_model", datastore=datastore)
best_model = PipelineData("best_model", datastore=datastore)

prepare = PythonScriptStep(
    name="prepare",
    script_name="prepare.py",
    arguments=["--out", prepared, "--test-size", test_size],
    outputs=[prepared],
    source_directory=source,
)
train_forest = PythonScriptStep(
    name="train_random_forest",
    script_name="train.py",
    arguments=[
        "--data",
        prepared,
        "--model",
        "random_forest",
        "--n-estimators",
        n_estimators,
        "--out",
        forest_model,
    ],
    inputs=[prepared],
    outputs=[forest_model],
    source_directory=source,
)
train_logistic = PythonScriptStep(
    name="train_logistic_regression",
    script_name="train.py",
    arguments=[
        "--data",
        prepared,
        "--model",
        "logistic_regression",
        "--C",
        regularization,
        "--out",
        logistic_model,
    ],
    inputs=[prepared],
    outputs=[logistic_model],
    source_directory=source,
)
compare = PythonScriptStep(
    name="compare",
    script_name="compare.py",
    arguments=["--models", forest_model, logistic_model, "--out", best_model],
    inputs=[forest_model, logistic_model],
    outputs=[best_model],
    source_directory=source,
)

# As in the old SDK's samples, listing the last step is enough: its producers join in.
pipeline = Pipeline(workspace=ws, steps=[compare], description="Compare two classifiers")
dag = pipeline.to_dag("sklearn_compare_models", tags=["example"])
