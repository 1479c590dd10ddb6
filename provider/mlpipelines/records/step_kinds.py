"""The step-kind registry: one entry per kind of step, and everything that differs by kind.

A new kind of step is its SDK class (``kind = "<name>"``), its operator, its runner and one
``StepKind`` entry here; render, validation, task docs, reuse keys, containers and the
provider's metadata all read this table, and an unknown kind fails loudly everywhere.
Operators and runners are named by import path, so reading the registry imports neither
(DAG files stay light, and this package stays pure).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlpipelines.records.notebook import notebook_engine
from mlpipelines.records.step import StepDefinition

AML_COMPUTE = "AmlCompute"
ADLA_COMPUTE = "ADLAnalytics"


def _no_engine(definition: StepDefinition) -> dict[str, Any] | None:
    return None


def _sql_engine(definition: StepDefinition) -> dict[str, Any] | None:
    """A SQL step on a warehouse: which warehouse and catalog decide its result."""
    compute = definition.compute
    if compute is None or compute.engine is None:
        return None
    return {
        "engine": compute.engine,
        "warehouse_id": compute.warehouse_id,
        "catalog": compute.catalog,
    }


def _databricks_engine(definition: StepDefinition) -> dict[str, Any] | None:
    """A Databricks step's task and cluster (its connection is the compute target)."""
    return definition.databricks.reuse_component() if definition.databricks else None


def _transfer_engine(definition: StepDefinition) -> dict[str, Any] | None:
    """A copy's source, types and destination."""
    return definition.transfer.to_json() if definition.transfer else None


def _parallel_run_engine(definition: StepDefinition) -> dict[str, Any] | None:
    """How a ParallelRunStep splits its input and what its output holds."""
    return definition.parallel_run.to_json() if definition.parallel_run else None


@dataclass(frozen=True)
class StepKind:
    """One kind of step.

    :param name: the kind's name in definitions and specs (the SDK class's ``kind``).
    :param title: the Azure ML class users know it by (task docs, messages).
    :param runs_on: the registered compute target types it may run on besides the Airflow
        worker; None where its target is no registered target (a Databricks connection,
        checked when it runs).
    :param operator: import path of its operator class.
    :param runner: import path of the function that runs it in a task (or a container).
    :param engine: the part of its reuse key only this kind has (what it runs on, where
        that decides the result); the fields every step has are keyed for all kinds.
    :param reads_content: whether its inputs are fingerprinted by content (False: by what
        the store says of them, for a copy whose result depends on the bytes alone and
        where hashing would cost as much as copying).
    """

    name: str
    title: str
    runs_on: tuple[str, ...] | None
    operator: str
    runner: str
    engine: Callable[[StepDefinition], dict[str, Any] | None] = _no_engine
    reads_content: bool = True

    def operator_class(self) -> type:
        """The operator class (imported on first use)."""
        cls: type = _imported(self.operator)
        return cls

    def runner_function(self) -> Callable[..., Any]:
        """The runner (imported on first use)."""
        run: Callable[..., Any] = _imported(self.runner)
        return run


@functools.cache
def _imported(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


STEP_KINDS: dict[str, StepKind] = {
    kind.name: kind
    for kind in (
        StepKind(
            name="python_script",
            title="PythonScriptStep",
            runs_on=(AML_COMPUTE,),
            operator="mlpipelines.operators.python_script.PythonScriptStepOperator",
            runner="mlpipelines.runtime.python_script.run_python_script_step",
        ),
        StepKind(
            name="analytics",
            title="AdlaStep",
            runs_on=(ADLA_COMPUTE,),
            operator="mlpipelines.operators.analytics.AnalyticsStepOperator",
            runner="mlpipelines.runtime.analytics.run_analytics_step",
            engine=_sql_engine,
        ),
        StepKind(
            name="databricks",
            title="DatabricksStep",
            runs_on=None,
            operator="mlpipelines.operators.databricks.DatabricksStepOperator",
            runner="mlpipelines.runtime.databricks.run_databricks_step",
            engine=_databricks_engine,
        ),
        StepKind(
            name="data_transfer",
            title="DataTransferStep",
            runs_on=(AML_COMPUTE, ADLA_COMPUTE),
            operator="mlpipelines.operators.data_transfer.DataTransferStepOperator",
            runner="mlpipelines.runtime.data_transfer.run_data_transfer_step",
            engine=_transfer_engine,
            reads_content=False,
        ),
        StepKind(
            name="command",
            title="CommandStep",
            runs_on=(AML_COMPUTE,),
            operator="mlpipelines.operators.command_step.CommandStepOperator",
            runner="mlpipelines.runtime.command_step.run_command_step",
        ),
        StepKind(
            name="notebook_runner",
            title="NotebookRunnerStep",
            runs_on=(AML_COMPUTE,),
            operator="mlpipelines.operators.notebook_runner.NotebookRunnerStepOperator",
            runner="mlpipelines.runtime.notebook_runner.run_notebook_runner_step",
            engine=notebook_engine,
        ),
        StepKind(
            name="parallel_run",
            title="ParallelRunStep",
            runs_on=(AML_COMPUTE,),
            operator="mlpipelines.operators.parallel_run.ParallelRunStepOperator",
            runner="mlpipelines.runtime.parallel_run_gather.run_parallel_run_step",
            engine=_parallel_run_engine,
        ),
    )
}


def step_kind(name: str) -> StepKind:
    """The registry entry of a kind; an unknown kind is a ValueError naming the known ones."""
    try:
        return STEP_KINDS[name]
    except KeyError:
        known = ", ".join(sorted(STEP_KINDS))
        raise ValueError(f"unknown step kind {name!r} (known: {known})") from None
