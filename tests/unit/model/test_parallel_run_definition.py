"""ParallelRunStep as AML v1 code defines it: old import paths, malformed settings refused
when the step is defined, its planned settings, and the TaskGroup it renders as."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk import DAG

from mlpipelines.azureml.core import Dataset, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import ParallelRunConfig, ParallelRunStep, PythonScriptStep
from mlpipelines.azureml.pipeline.steps import parallel_run_config as config_module
from mlpipelines.azureml.pipeline.steps import parallel_run_step as step_module
from mlpipelines.errors import UserErrorException
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import StepDefinition


@pytest.fixture
def src(tmp_path: Path) -> Path:
    (tmp_path / "digit_identification.py").write_text("def run(mini_batch):\n    return []\n")
    (tmp_path / "summarize.py").write_text("print('ok')\n")
    return tmp_path


def _dataset():
    datastore = Workspace.current().get_default_datastore()
    return Dataset.File.from_files(path=(datastore, "mnist/*.png"), validate=False)


def _config(src: Path, **changes) -> ParallelRunConfig:
    settings = {
        "source_directory": str(src),
        "entry_script": "digit_identification.py",
        "mini_batch_size": "5",
        "error_threshold": 10,
        "output_action": "append_row",
        "process_count_per_node": 2,
        "node_count": 2,
    }
    return ParallelRunConfig(**{**settings, **changes})


def _step(src: Path, config=None, inputs=None, **kwargs) -> ParallelRunStep:
    return ParallelRunStep(
        name="predict-digits-mnist",
        parallel_run_config=config or _config(src),
        inputs=[_dataset().as_named_input("mnist_param")] if inputs is None else inputs,
        output=kwargs.pop("output", PipelineData("inferences")),
        **kwargs,
    )


def test_old_module_paths_name_the_same_classes():
    assert config_module.ParallelRunConfig is ParallelRunConfig
    assert step_module.ParallelRunStep is ParallelRunStep


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"entry_script": None}, "entry_script None must name the script"),
        ({"mini_batch_size": "1XB"}, "mini_batch_size '1XB' must be a positive count"),
        ({"mini_batch_size": 0}, "mini_batch_size 0 must be a positive count"),
        ({"output_action": "append_rows"}, "output_action 'append_rows' must be one of"),
        ({"process_count_per_node": 0}, "process_count_per_node 0 must be a positive"),
        ({"error_threshold": -2}, "error_threshold -2 must be -1"),
    ],
)
def test_malformed_config_is_refused_naming_the_step(src, changes, message):
    with pytest.raises(UserErrorException) as refused:
        _step(src, _config(src, **changes))
    assert "ParallelRunStep 'predict-digits-mnist'" in str(refused.value)
    assert message in str(refused.value)


def test_every_problem_is_listed_at_once(src):
    with pytest.raises(UserErrorException) as refused:
        _step(src, _config(src, entry_script="", mini_batch_size="2TB", node_count=0))
    assert str(refused.value).count("\n  - ") == 3


def test_input_must_be_one_named_dataset(src):
    with pytest.raises(UserErrorException, match="exactly one named FileDataset"):
        _step(src, inputs=[])
    with pytest.raises(UserErrorException, match="is not a named dataset"):
        _step(src, inputs=[PipelineData("images")])
    with pytest.raises(UserErrorException, match="must be a PipelineData"):
        _step(src, output="inferences")


def test_plans_its_settings_and_renders_plan_mapped_run_and_gather(src):
    ws = Workspace.current()
    inferences = PipelineData("inferences", datastore=ws.get_default_datastore())
    step = _step(src, output=inferences, arguments=["--model_name", "mnist"])
    summarize = PythonScriptStep(
        "summarize.py", name="summarize", source_directory=str(src), inputs=[inferences]
    )
    pipeline = Pipeline(ws, [step, summarize])
    definition = plan_pipeline(pipeline).tasks[0].definition
    assert definition.kind == "parallel_run"
    assert definition.script_name == "digit_identification.py"
    settings = definition.parallel_run
    assert settings is not None and settings.mini_batch_input == "mnist_param"
    assert (settings.mini_batch_size, settings.process_count_per_node) == ("5", 2)
    assert StepDefinition.from_json(definition.to_json()) == definition

    dag = pipeline.to_dag("mnist_scoring")
    plan = dag.get_task("predict-digits-mnist__plan")
    run = dag.get_task("predict-digits-mnist__run")
    gather = dag.get_task("predict-digits-mnist")
    assert run.upstream_task_ids == {plan.task_id}
    assert gather.upstream_task_ids == {run.task_id}
    assert dag.get_task("summarize").upstream_task_ids == {"predict-digits-mnist"}
    assert plan.upstream_task_ids == {"mlpipelines_reuse"}
    assert type(run).__name__ == "MappedOperator"
    assert gather.task_group.group_id == "predict-digits-mnist__parallel_run"

    with DAG("outer", schedule=None) as outer:
        pipeline.to_task_group("grp")
    assert outer.get_task("grp.predict-digits-mnist__run").upstream_task_ids == {
        "grp.predict-digits-mnist__plan"
    }
    assert outer.get_task("grp.summarize").upstream_task_ids == {"grp.predict-digits-mnist"}


def test_tabular_default_mini_batch_is_one_megabyte(src):
    datastore = Workspace.current().get_default_datastore()
    iris = Dataset.Tabular.from_delimited_files(path=(datastore, "iris/*.csv"), validate=False)
    config = ParallelRunConfig(
        source_directory=str(src),
        entry_script="digit_identification.py",
        error_threshold=5,
        output_action="summary_only",
    )
    step = ParallelRunStep("score-iris", config, inputs=[iris.as_named_input("iris")])
    definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
    assert definition.parallel_run is not None
    assert definition.parallel_run.size.bytes == 1024**2
