"""Step operators are made with for_step, through BaseOperator's __init__ alone: Airflow wraps
each __init__ of a hierarchy and every wrapper deep-copies the DAG's Params."""

from __future__ import annotations

import copy

import pytest
from airflow.sdk import DAG, BaseOperator, Param

from mlpipelines.operators.analytics import AnalyticsStepOperator
from mlpipelines.operators.command_step import CommandStepOperator
from mlpipelines.operators.data_transfer import DataTransferStepOperator
from mlpipelines.operators.notebook_runner import NotebookRunnerStepOperator
from mlpipelines.operators.python_script import PythonScriptStepOperator
from mlpipelines.operators.step import DefinitionStepOperator
from support.step_definitions import script_step

STEP = script_step("train")
KINDS = [
    PythonScriptStepOperator,
    CommandStepOperator,
    DataTransferStepOperator,
    AnalyticsStepOperator,
    NotebookRunnerStepOperator,
]


@pytest.mark.parametrize("cls", KINDS)
def test_no_init_below_base_operator(cls: type) -> None:
    assert all("__init__" not in vars(c) for c in cls.__mro__[: cls.__mro__.index(BaseOperator)])


@pytest.mark.parametrize("cls", KINDS)
def test_for_step_sets_the_step_and_airflow_arguments(cls: type[DefinitionStepOperator]) -> None:
    with DAG("d", schedule=None, params={"regenerate_outputs": Param(False, type="boolean")}):
        task = cls.for_step(task_id="train", step=STEP, reuse_task_id="reuse", retries=2)
    assert task.step is STEP
    assert task.reuse_task_id == "reuse"
    assert task.retries == 2
    assert task.params["regenerate_outputs"] is False


def test_script_operator_takes_its_own_arguments_and_they_survive_a_copy() -> None:
    with DAG("d", schedule=None):
        task = PythonScriptStepOperator.for_step(
            task_id="train", step=STEP, interpreter="/usr/bin/python3", env={"A": "1"}
        )
        other = PythonScriptStepOperator.for_step(task_id="other", step=STEP)
    assert (task.interpreter, task.env) == ("/usr/bin/python3", {"A": "1"})
    assert (other.interpreter, other.env) == (None, None)
    copied = copy.deepcopy(task)  # as Airflow copies a task for a run or a sub-DAG
    assert copied.step == STEP
    assert (copied.interpreter, copied.env) == ("/usr/bin/python3", {"A": "1"})


def test_unknown_arguments_are_refused_as_airflow_refuses_them() -> None:
    with DAG("d", schedule=None), pytest.raises(TypeError, match="no_such_argument"):
        PythonScriptStepOperator.for_step(task_id="train", step=STEP, no_such_argument=1)
