"""CommandStep and ScriptRunConfig as the old SDK's samples write them: splitting commands into
words, data and parameters in a command, and malformed commands refused when defined."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Environment, ScriptRunConfig, Workspace
from mlpipelines.azureml.core.runconfig import RunConfiguration
from mlpipelines.azureml.core.script_run_config import ScriptRunConfig as OldPathConfig
from mlpipelines.azureml.data import OutputFileDatasetConfig
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import CommandStep, PythonScriptStep
from mlpipelines.azureml.pipeline.steps.command_step import CommandStep as OldPathStep
from mlpipelines.errors import UserErrorException
from mlpipelines.model.planning import plan_pipeline


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "commandstep_train"
    folder.mkdir()
    (folder / "train.py").write_text("print('hi')\n")
    (folder / "run.sh").write_text("echo hi\n")
    return folder


def _definition(*steps):
    plan = plan_pipeline(Pipeline(Workspace.current(), list(steps)))
    return {t.definition.name: t.definition for t in plan.tasks}


def _argv(definition) -> list[str]:
    return [t.describe() for t in definition.arguments]


def test_old_paths_are_the_same_classes():
    assert OldPathStep is CommandStep
    assert OldPathConfig is ScriptRunConfig


def test_a_string_command_is_split_into_words_as_a_shell_would_without_expanding(src):
    step = CommandStep(
        name="train",
        command="python train.py --title 'a b;c' --home $HOME --glob *.py",
        source_directory=str(src),
    )
    definition = _definition(step)["train"]
    assert _argv(definition) == [
        "python", "train.py", "--title", "a b;c", "--home", "$HOME", "--glob", "*.py",
    ]  # fmt: skip
    assert definition.kind == "command"
    assert definition.source_directory == str(src)
    assert definition.script_name is None


def test_a_list_splits_its_strings_and_keeps_data_and_parameters_one_word_each(src):
    ws = Workspace.current()
    data = PipelineData("prepared", datastore=ws.get_default_datastore())
    epochs = PipelineParameter(name="epochs", default_value=30)
    step = CommandStep(
        name="train",
        command=["python train.py --epochs", epochs, "--data-dir", data, "--n", 3],
        inputs=[data],
        source_directory=str(src),
    )
    producer = CommandStep(
        name="prep", command=["bash run.sh", data], outputs=[data], source_directory=str(src)
    )
    definitions = _definition(producer, step)
    assert _argv(definitions["train"]) == [
        "python", "train.py", "--epochs", "<parameter epochs>",
        "--data-dir", "<input prepared>", "--n", "3",
    ]  # fmt: skip
    assert _argv(definitions["prep"]) == ["bash", "run.sh", "<output prepared>"]


def test_data_named_only_in_the_command_joins_the_inputs_and_outputs(src):
    ws = Workspace.current()
    dataset = Dataset.File.from_files((ws.get_default_datastore(), "accidentdata"), validate=False)
    out = OutputFileDatasetConfig(name="model")
    step = CommandStep(
        name="train",
        command=["Rscript accidents.R --data_folder", dataset.as_mount(), "--out", out],
        source_directory=str(src),
    )
    definition = _definition(step)["train"]
    assert [i.name for i in definition.inputs] == [step.inputs[0].name]
    assert [o.name for o in definition.outputs] == ["model"]


def test_a_script_run_config_gives_command_folder_target_and_environment(src):
    env = Environment("r_env")
    env.environment_variables = {"COLOR": "teal"}
    env.python.interpreter_path = "/opt/python/bin/python"
    config = ScriptRunConfig(
        source_directory=str(src), command=["python train.py --epochs 30"], environment=env
    )
    step = CommandStep(name="train-mnist", runconfig=config)
    definition = _definition(step)["train-mnist"]
    assert _argv(definition) == ["python", "train.py", "--epochs", "30"]
    assert definition.source_directory == str(src)
    assert definition.environment_variables == {"COLOR": "teal"}
    assert definition.interpreter == "/opt/python/bin/python"


def test_a_script_run_config_with_a_script_runs_it_with_python(src):
    config = ScriptRunConfig(
        source_directory=str(src), script="train.py", arguments=["--title", "a b"]
    )
    step = CommandStep(runconfig=config)
    assert step.name == "CommandStep_python"
    assert _argv(_definition(step)[step.name]) == ["python", "train.py", "--title", "a b"]


def test_python_script_step_takes_a_script_run_configs_environment(src):
    env = Environment("e")
    env.environment_variables = {"COLOR": "teal"}
    config = ScriptRunConfig(source_directory=str(src), script="train.py", environment=env)
    step = PythonScriptStep(
        name="s", script_name="train.py", source_directory=str(src), runconfig=config
    )
    assert _definition(step)["s"].environment_variables == {"COLOR": "teal"}


def test_a_run_configuration_gives_the_environment(src):
    config = RunConfiguration()
    config.environment.environment_variables = {"A": "1"}
    step = CommandStep(name="ls", command="ls -l", runconfig=config, source_directory=str(src))
    assert _definition(step)["ls"].environment_variables == {"A": "1"}


def test_references_in_a_string_must_name_the_steps_data_and_params(src):
    ws = Workspace.current()
    data = PipelineData("prepared", datastore=ws.get_default_datastore())
    ok = CommandStep(
        name="ok",
        command=f"python train.py --data {data} --n $AML_PARAMETER_n",
        outputs=[data],
        params={"n": 3},
        source_directory=str(src),
    )
    assert "$AZUREML_DATAREFERENCE_prepared" in _argv(_definition(ok)["ok"])
    with pytest.raises(UserErrorException, match=r"'bad'.*no input or output named 'other'"):
        CommandStep(
            name="bad",
            command="python train.py --data $AZUREML_DATAREFERENCE_other",
            outputs=[data],
            source_directory=str(src),
        )
    with pytest.raises(UserErrorException, match=r"'bad'.*no params entry named 'n'"):
        CommandStep(name="bad", command="echo ${AML_PARAMETER_n}", source_directory=str(src))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"command": ""}, r"CommandStep 'x': the command is empty"),
        ({"command": []}, r"CommandStep 'x': the command is empty"),
        ({}, r"CommandStep 'x': the command is empty"),
        ({"command": "python 'train.py"}, r"CommandStep 'x': cannot split .*quotation"),
        ({"command": ["python", object()]}, r"CommandStep 'x': command item <object"),
        ({"command": 42}, r"CommandStep 'x': command must be a string or a list"),
        (
            {"command": [PipelineParameter("p", "ls")]},
            r"CommandStep 'x': the command must start with the program",
        ),
        (
            {"command": "ls", "source_directory": "/no/such/folder"},
            r"CommandStep 'x': source_directory '/no/such/folder' does not exist",
        ),
    ],
)
def test_malformed_commands_are_refused_when_defined(kwargs, message):
    with pytest.raises(UserErrorException, match=message):
        CommandStep(name="x", **kwargs)


def test_script_run_config_refuses_a_script_and_a_command(src):
    with pytest.raises(UserErrorException, match=r"script= .* or command=, not both"):
        ScriptRunConfig(source_directory=str(src), script="train.py", command="python x.py")
    with pytest.raises(UserErrorException, match="arguments= go with script="):
        ScriptRunConfig(source_directory=str(src), command="python x.py", arguments=["--a"])


def test_a_dataset_without_a_name_in_the_command_is_a_validation_problem(src):
    ws = Workspace.current()
    dataset = Dataset.File.from_files((ws.get_default_datastore(), "d"), validate=False)
    with pytest.raises(UserErrorException, match="command item"):
        CommandStep(name="x", command=["ls", dataset], source_directory=str(src))


def test_a_lone_script_run_config_is_planned_as_one_step_never_reused(src):
    ws = Workspace.current()
    script = ScriptRunConfig(
        source_directory=str(src), script="train.py", arguments=["--alpha", 0.5]
    )
    (task,) = script.as_step_graph(ws).plan("single").tasks
    assert (task.task_id, task.definition.kind) == ("train", "python_script")
    assert task.definition.script_name == "train.py" and not task.definition.allow_reuse
    command = ScriptRunConfig(source_directory=str(src), command="python train.py")
    (task,) = command.as_step_graph(ws).plan("single").tasks
    assert (task.task_id, task.definition.kind) == ("command", "command")
    with pytest.raises(UserErrorException, match="give script="):
        ScriptRunConfig(source_directory=str(src)).as_step_graph(ws)
