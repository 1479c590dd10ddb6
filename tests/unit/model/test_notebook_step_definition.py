"""NotebookRunnerStep as the Azure ML notebook-runner sample writes it: old import paths, its
planned definition, and malformed notebooks refused when the pipeline is defined."""

from __future__ import annotations

import importlib

import pytest

import mlpipelines
from mlpipelines.azureml.contrib.notebook import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
    PapermillExecutionHandler,
)
from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import PipelineValidationError, UserErrorException
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import StepDefinition
from mlpipelines.records.step_kinds import step_kind
from mlpipelines.reuse.keys import reuse_components
from support.notebooks import write_notebook

PARAMETERS = 'arg1 = "Azure"\nprocessed_data = None\nmy_pipeline_param = None\n'


def _sample(tmp_path, notebook: str = "training_notebook.ipynb", **config_args):
    """The sample's two steps: train.py writes processed_data, the notebook reads it."""
    ws = Workspace.current()
    (tmp_path / "train").mkdir(exist_ok=True)
    (tmp_path / "train" / "train.py").write_text("")
    output_data = PipelineData(
        name="processed_data", datastore=Datastore.get(ws, "workspaceblobstore")
    )
    PythonScriptStep(script_name="train.py", outputs=[output_data],
                     source_directory=str(tmp_path / "train"))  # fmt: skip
    handler = AzureMLNotebookHandler(timeout=600, progress_bar=False, log_output=True)
    cfg = NotebookRunConfig(
        source_directory=str(tmp_path / "notebook_runner"),
        notebook=notebook,
        handler=handler,
        parameters={"arg1": "Machine Learning"},
        **config_args,
    )
    output_from_notebook = PipelineData(
        name="notebook_processed_data", datastore=ws.get_default_datastore()
    )
    my_pipeline_param = PipelineParameter(name="pipeline_param", default_value="my_param")
    step = NotebookRunnerStep(
        name="training_notebook_step",
        notebook_run_config=cfg,
        params={"my_pipeline_param": my_pipeline_param, "seed": 3},
        inputs=[output_data],
        outputs=[output_from_notebook],
        allow_reuse=True,
        output_notebook_pipeline_data_name="notebook_result",
    )
    return Pipeline(workspace=ws, steps=[step])


def test_old_paths_reexport_the_flat_api_objects():
    contrib = importlib.import_module("mlpipelines.azureml.contrib.notebook")
    module = importlib.import_module("mlpipelines.azureml.contrib.notebook.notebook_runner_step")
    assert contrib.NotebookRunnerStep is module.NotebookRunnerStep is mlpipelines.NotebookRunnerStep
    assert contrib.NotebookRunConfig is mlpipelines.NotebookRunConfig
    assert issubclass(PapermillExecutionHandler, AzureMLNotebookHandler)


def test_the_sample_plans_a_notebook_step_with_its_settings_and_the_notebook_output(tmp_path):
    write_notebook(tmp_path / "notebook_runner" / "training_notebook.ipynb", "print(arg1)",
                   parameters=PARAMETERS)  # fmt: skip
    plan = plan_pipeline(_sample(tmp_path))
    [task] = [t for t in plan.tasks if t.kind == "notebook_runner"]
    definition = task.definition
    assert [t.task_id for t in plan.tasks] == ["train.py", "training_notebook_step"]
    assert task.upstream == ("train.py",)
    assert definition.script_name == "training_notebook.ipynb"
    assert definition.source_directory == str(tmp_path / "notebook_runner")
    assert {o.name for o in definition.outputs} == {"notebook_processed_data", "notebook_result"}
    settings = definition.notebook
    assert settings is not None
    assert settings.output_notebook == "training_notebook.output.ipynb"
    assert settings.parameters == {"arg1": "Machine Learning", "seed": 3}
    assert settings.output_notebook_data == "notebook_result"
    assert settings.timeout == 600
    assert definition.params["my_pipeline_param"].kind == "parameter"
    assert StepDefinition.from_json(definition.to_json()) == definition
    assert step_kind("notebook_runner").operator_class().__name__ == "NotebookRunnerStepOperator"
    # A changed literal parameter is another result: the reuse key sees it.
    engine = reuse_components(definition, {}, None, {})["engine"]
    assert engine["parameters"] == {"arg1": "Machine Learning", "seed": 3}


def test_a_missing_notebook_is_refused_naming_the_step_and_the_notebook(tmp_path):
    (tmp_path / "notebook_runner").mkdir()
    with pytest.raises(PipelineValidationError) as err:
        _sample(tmp_path, notebook="nowhere.ipynb").validate()
    [problem] = err.value.problems
    assert problem.step == "training_notebook_step"
    assert problem.kind == "missing-script"
    assert "'nowhere.ipynb' is not in source_directory" in str(problem)


def test_a_notebook_without_a_parameters_cell_is_refused_when_given_parameters(tmp_path):
    write_notebook(tmp_path / "notebook_runner" / "training_notebook.ipynb", PARAMETERS)
    with pytest.raises(PipelineValidationError) as err:
        _sample(tmp_path).validate()
    [problem] = err.value.problems
    assert problem.kind == "notebook-without-parameters-cell"
    assert str(problem) == (
        "step 'training_notebook_step': notebook 'training_notebook.ipynb' has no cell tagged "
        "'parameters', but the step passes it parameters (arg1, my_pipeline_param, "
        "notebook_processed_data, processed_data, seed); tag the cell that sets their "
        "defaults 'parameters'"
    )


def test_malformed_notebook_and_parameters_are_each_a_problem(tmp_path):
    folder = tmp_path / "notebook_runner"
    folder.mkdir()
    (folder / "training_notebook.ipynb").write_text("{not json")
    cfg = NotebookRunConfig(
        source_directory=str(folder),
        notebook="training_notebook.ipynb",
        output_notebook="../escaped.ipynb",
        parameters={"class": 1, "when": object()},
    )
    step = NotebookRunnerStep(name="nb", notebook_run_config=cfg)
    with pytest.raises(PipelineValidationError) as err:
        Pipeline(workspace=Workspace.current(), steps=[step]).validate()
    assert err.value.kinds == [
        "bad-notebook-parameter",
        "bad-notebook-parameter",
        "bad-output-notebook",
        "bad-notebook",
    ]
    assert "notebook parameter 'class' is not a Python name" in str(err.value)
    assert "output_notebook '../escaped.ipynb' leaves the datastore" in str(err.value)
    assert "notebook 'training_notebook.ipynb' is not a readable notebook" in str(err.value)


def test_bad_construction_is_refused_at_once():
    with pytest.raises(UserErrorException, match=r"unsupported option.*engine_nam"):
        AzureMLNotebookHandler(engine_nam="x")
    with pytest.raises(UserErrorException, match="timeout -1 must be a positive"):
        AzureMLNotebookHandler(timeout=-1)
    with pytest.raises(UserErrorException, match="name and notebook_run_config"):
        NotebookRunnerStep(name="nb")
    assert PapermillExecutionHandler(engine_name="papermill", kernel_name="k").kernel_name == "k"
