"""The checks of one step (its data, arguments, params, run_after and script), each a small
function returning the (kind, message) of every problem it finds."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from mlpipelines._naming import IDENTIFIER
from mlpipelines.errors import Problem, UserErrorException
from mlpipelines.model.data import DataInput, DataReference, PipelineData, underlying
from mlpipelines.model.dataset import AbstractDataset, DatasetConsumptionConfig
from mlpipelines.model.dataset_sources import data_path_input
from mlpipelines.model.notebook_step import notebook_problems
from mlpipelines.model.output_dataset import OutputFileDatasetConfig
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.step_io import input_name, is_argument_data, value_data_name
from mlpipelines.model.steps import PythonScriptStep, Step
from mlpipelines.model.usql_checks import usql_problems
from mlpipelines.records.paths import clean_relative_path

_SCALARS = (str, int, float, bool)

_Found = list[tuple[str, str]]
"""Problems of one step, each as (kind, message); the step's name is added once, by the caller."""


@dataclass(frozen=True)
class _StepData:
    """A step with its inputs and outputs that are data; the rest are problems of their own."""

    step: Step
    inputs: list[Any]
    outputs: list[Any]

    @classmethod
    def of(cls, step: Step) -> _StepData:
        return cls(
            step,
            [i for i in step.inputs if _is_data_input(i)],
            [o for o in step.outputs if isinstance(o, (PipelineData, DataReference))],
        )


def _is_data_input(item: object) -> bool:
    return isinstance(
        item, (DataReference, PipelineData, DataInput, DatasetConsumptionConfig)
    ) or data_path_input(item)


def _bad_inputs(data: _StepData) -> _Found:
    """Inputs that are no data a step can read (a dataset without a name included)."""
    found = []
    for item in data.step.inputs:
        if _is_data_input(item):
            continue
        if isinstance(item, AbstractDataset):
            message = f"dataset input {item!r} needs a name: pass dataset.as_named_input('name')"
        else:
            message = f"input {item!r} is not a DataReference, PipelineData or named dataset input"
        found.append(("bad-input", message))
    return found


def _bad_outputs(data: _StepData) -> _Found:
    return [
        ("bad-output", f"output {item!r} is not a PipelineData or DataReference")
        for item in data.step.outputs
        if not isinstance(item, (PipelineData, DataReference))
    ]


def _duplicate_data_names(data: _StepData) -> _Found:
    """Two inputs (or two outputs) known by one name, which a script could not tell apart."""
    found: _Found = []
    for role, items in (("input", data.inputs), ("output", data.outputs)):
        names = [_data_name(i) for i in items]
        if len(set(names)) == len(names):  # the usual case, without a Counter per step
            continue
        counts = Counter(names)
        found += [
            (f"duplicate-{role}-name", f"{count} {role}s are named '{name}'")
            for name, count in counts.items()
            if count > 1
        ]
    return found


def _written_paths_leaving_datastore(data: _StepData) -> _Found:
    """A transfer's destination or an output DataReference whose path climbs out of its
    datastore."""
    found = []
    destination = getattr(data.step, "destination_data_reference", None)
    if isinstance(destination, DataReference):
        found += _path_leaving_datastore("destination", destination)
    for item in data.outputs:
        if isinstance(item, DataReference):
            found += _path_leaving_datastore("output", item)
        elif isinstance(item, OutputFileDatasetConfig) and item.destination_path is not None:
            try:
                clean_relative_path(item.destination_path, "destination")
            except UserErrorException as exc:
                found.append(("path-leaves-datastore", f"output '{item.name}': {exc}"))
    return found


def _path_leaving_datastore(role: str, reference: DataReference) -> _Found:
    try:
        clean_relative_path(reference.path_on_datastore)
    except UserErrorException as exc:
        return [("path-leaves-datastore", f"{role} '{reference.name}': {exc}")]
    return []


def _read_data_problems(data: _StepData) -> _Found:
    """Inputs that are also the step's own output, or whose path climbs out of their
    datastore."""
    found = []
    for item in data.inputs:
        source = underlying(item)
        if isinstance(source, PipelineData) and any(source is o for o in data.outputs):
            found.append(
                ("self-dependency", f"PipelineData '{source.name}' is both an input and an output")
            )
        if isinstance(source, DataReference):
            found += _path_leaving_datastore("input", source)
    return found


def _argument_problems(data: _StepData) -> _Found:
    """Arguments that are data the step does not declare, or values no script can take."""
    declared = {id(underlying(i)) for i in data.inputs} | {id(o) for o in data.outputs}
    names = {input_name(i) for i in data.inputs} | {o.name for o in data.outputs}
    found = [_argument_problem(value, declared, names) for value in data.step.argument_values]
    return [problem for problem in found if problem is not None]


def _argument_problem(value: Any, declared: set[int], names: set[Any]) -> tuple[str, str] | None:
    if isinstance(value, str):  # most arguments: flags and literals
        return None
    if is_argument_data(value) and (input_name(value) in names or value_data_name(value) in names):
        return None  # the same data by name, as Azure ML matches it
    source = underlying(value)
    if data_path_input(value):
        if id(value) in declared:
            return None
        return (
            "data-not-declared",
            f"DataPath parameter '{value[0].name}' is used in arguments but is not "
            "in inputs (pass the same (parameter, binding) tuple to both)",
        )
    if isinstance(source, (PipelineData, DataReference, DatasetConsumptionConfig)):
        if id(source) in declared:
            return None
        return (
            "data-not-declared",
            f"{type(source).__name__} '{source.name}' is used in arguments but is in "
            "neither inputs nor outputs",
        )
    if not isinstance(value, (*_SCALARS, PipelineParameter)):
        return (
            "bad-argument",
            f"argument {value!r} is not a string, number, PipelineParameter or data reference",
        )
    return None


def _param_problems(data: _StepData) -> _Found:
    """Params whose name or value the step's engine cannot take."""
    # Script params become environment variables or SQL variables; Databricks notebook
    # widgets take any string name.
    names_free = data.step.kind == "databricks"
    found = []
    for key, value in data.step.param_values.items():
        if not isinstance(key, str) or (not names_free and not IDENTIFIER.match(key)):
            found.append(
                ("bad-param-name", f"params key {key!r} cannot be an environment variable name")
            )
        if not isinstance(value, (*_SCALARS, PipelineParameter)):
            found.append(
                (
                    "bad-param-value",
                    f"params value {value!r} for '{key}' is not a string, number or "
                    "PipelineParameter",
                )
            )
    return found


def _data_on_dbfs(data: _StepData) -> _Found:
    """Data on a DBFS datastore in a step that is no DatabricksStep (only Databricks sees DBFS)."""
    if data.step.kind == "databricks":
        return []
    found = []
    written = getattr(data.step, "destination_data_reference", None)  # a transfer's target
    for item in (*data.inputs, *data.outputs, *([written] if written is not None else [])):
        store = getattr(underlying(item), "datastore", None)
        if store is not None and getattr(store.spec, "kind", None) == "dbfs":
            found.append((
                "dbfs_outside_databricks",
                f"{type(underlying(item)).__name__} '{item.name}' is on DBFS datastore "
                f"'{store.name}': only a DatabricksStep can read or write DBFS",
            ))  # fmt: skip
    return found


def _bad_run_after(data: _StepData) -> _Found:
    return [
        ("bad-run-after", f"run_after({other!r}) needs a step")
        for other in data.step._run_after
        if not isinstance(other, Step)
    ]


# The checks of one step, in the order its problems are reported (its script's come last).
_STEP_CHECKS: tuple[Callable[[_StepData], _Found], ...] = (
    _bad_inputs,
    _bad_outputs,
    _duplicate_data_names,
    _written_paths_leaving_datastore,
    _read_data_problems,
    _argument_problems,
    _param_problems,
    _bad_run_after,
    _data_on_dbfs,
)


def step_problems(
    step: Step, checked: dict[tuple[str, str], list[tuple[str, str]]]
) -> list[Problem]:
    """Every problem of one step, each tied to it; ``checked`` is shared by all the steps of
    one validation (see ``_script_problems``)."""
    data = _StepData.of(step)
    found = [problem for check in _STEP_CHECKS for problem in check(data)]
    if step.script_name is not None or isinstance(step, PythonScriptStep):
        found += _script_problems(step, checked)
    found += usql_problems(step)
    found += notebook_problems(step)
    return [Problem(kind, step.name, message) for kind, message in found]


def _script_problems(
    step: Step, checked: dict[tuple[str, str], list[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """Problems of a step's script; ``checked`` remembers folders and scripts already looked
    at in this validation, since many steps share one source folder."""
    script = step.script_name
    if not isinstance(script, str) or not script.strip():
        return [("bad-script-name", f"script_name {script!r} must name a file")]
    folder = step.source_folder
    key = (folder, script)
    if key in checked:  # many steps share one folder and script: no path work again
        return checked[key]
    pure = PurePosixPath(script.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        return [
            (
                "script-outside-source",
                f"script '{script}' is outside source_directory; give a path relative to it",
            )
        ]
    if not os.path.isdir(folder):
        checked[key] = [("missing-source-directory", f"source_directory '{folder}' does not exist")]
    elif not os.path.isfile(os.path.join(folder, script)):
        checked[key] = [
            ("missing-script", f"script '{script}' is not in source_directory '{folder}'")
        ]
    else:
        checked[key] = []
    return checked[key]


def _data_name(item: object) -> str:
    """The name a step's input or output is known by (a DataPath pair: its parameter's)."""
    if data_path_input(item):
        return item[0].name
    return str(getattr(item, "name", item))
