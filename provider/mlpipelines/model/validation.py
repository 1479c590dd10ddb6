"""Every check a pipeline must pass before it becomes a DAG, reported all at once."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mlpipelines._naming import AIRFLOW_ID, IDENTIFIER, RESERVED_TASK_IDS, task_id_for
from mlpipelines.errors import Problem, UserErrorException
from mlpipelines.model.data import DataInput, DataReference, PipelineData, underlying
from mlpipelines.model.dataset import AbstractDataset, DatasetConsumptionConfig
from mlpipelines.model.dataset_sources import data_path_input
from mlpipelines.model.datastore import clean_relative_path
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.pipeline import iter_parameters, step_upstreams
from mlpipelines.model.steps import PythonScriptStep, Step

if TYPE_CHECKING:
    from mlpipelines.model.pipeline import Pipeline

RESERVED_PARAMETER_NAMES = frozenset({"regenerate_outputs"})
RESERVED_PARAMETER_PREFIX = "mlpipelines_"
_SCALARS = (str, int, float, bool)


def find_problems(pipeline: Pipeline, dag_id: str | None = None) -> list[Problem]:
    """All problems of a pipeline, each tied to its step; empty when it can run."""
    problems: list[Problem] = []
    if dag_id is not None and not AIRFLOW_ID.match(dag_id):
        problems.append(
            Problem(
                "bad-dag-id",
                None,
                f"'{dag_id}' cannot be an Airflow DAG id "
                "(letters, digits, '_', '.', '-'; at most 250)",
            )
        )
    steps = [s for s in pipeline.steps if isinstance(s, Step)]
    for item in pipeline.steps:
        if not isinstance(item, Step):
            problems.append(Problem("not-a-step", None, f"{item!r} in steps is not a step"))
    if not steps:
        problems.append(Problem("no-steps", None, "the pipeline has no steps"))
    problems += _name_problems(steps)
    checked: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for step in steps:
        problems += _step_problems(step, checked)
    problems += _data_problems(steps)
    problems += _parameter_problems(steps)
    problems += _cycle_problems(steps)
    problems += _compute_problems(steps, pipeline.workspace, pipeline.default_datastore)
    return problems


# Which registered target types each step kind can run on (besides the local process).
_RUNS_ON = {
    "python_script": ("AmlCompute",),
    "analytics": ("ADLAnalytics",),
    "data_transfer": ("AmlCompute", "ADLAnalytics"),
}


def _compute_problems(
    steps: list[Step], workspace: object, default_datastore: Any = None
) -> list[Problem]:
    """Unknown compute targets, and targets of a kind the step cannot run on. A Databricks
    step's target is an Airflow connection id, checked when it runs."""
    from mlpipelines.model.compute import LOCAL_NAME, registered_target

    problems = []
    for step in steps:
        name = step.compute_target_name
        allowed = _RUNS_ON.get(step.kind)
        if name == LOCAL_NAME or allowed is None:
            continue
        record = registered_target(name, workspace)
        if record is None:
            problems.append(
                Problem(
                    "unknown-compute-target",
                    step.name,
                    f"no compute target named '{name}'; register it with "
                    "ComputeTarget.create(ws, name, AmlCompute.provisioning_configuration(...))"
                    " or ComputeTarget.attach(...), or leave compute_target out to run on the "
                    "Airflow worker",
                )
            )
        elif record["type"] not in allowed:
            problems.append(
                Problem(
                    "wrong-compute-target",
                    step.name,
                    f"compute target '{name}' is {record['type']}; a {type(step).__name__} "
                    f"runs on {' or '.join(allowed)} targets or locally",
                )
            )
        elif (record.get("settings") or {}).get("engine") == "databricks_sql":
            problems += _warehouse_problems(step, name)
        elif (record.get("settings") or {}).get("backend") == "kubernetes":
            problems += _pod_problems(step, name, default_datastore)
    return problems


def _pod_problems(step: Step, target: str, default_datastore: Any) -> list[Problem]:
    """A pod shares no disk with the worker: every datastore the step touches (the default
    one, for its code, cache and artifacts, and those of its data) must be remote."""
    stores = [] if default_datastore is None else [default_datastore]
    for item in [*step.inputs, *step.outputs]:
        datastore = getattr(underlying(item), "datastore", None)
        if datastore is not None and not isinstance(datastore, str):
            stores.append(datastore)
    local = sorted({d.name for d in stores if getattr(d, "spec", None) and d.spec.kind == "local"})
    if not local:
        return []
    return [
        Problem(
            "local-datastore-in-pod",
            step.name,
            f"compute target '{target}' runs steps in Kubernetes pods, which share no disk with "
            f"the worker, but the step uses the local-folder datastore(s) {', '.join(local)}; "
            "make the pipeline's default datastore an Azure Blob or S3 one "
            "(ws.set_default_datastore(...) or Pipeline(..., default_datastore=...)) and keep "
            "the step's data on such stores",
        )
    ]


def _warehouse_problems(step: Step, target: str) -> list[Problem]:
    """What a SQL step on a Databricks SQL warehouse cannot do: read a dataset object (the
    warehouse reads files by URI), or bind a parameter whose name is no SQL identifier."""
    problems = []
    for item in step.inputs:
        if isinstance(item, (AbstractDataset, DatasetConsumptionConfig)):
            problems.append(
                Problem(
                    "dataset-on-warehouse",
                    step.name,
                    f"compute target '{target}' is a Databricks SQL warehouse, which reads "
                    "files by URI, not dataset objects; pass the dataset's files as a "
                    "DataReference (datastore.path(...)) instead",
                )
            )
    for key in getattr(step, "params", {}) or {}:
        if not IDENTIFIER.fullmatch(str(key)):
            problems.append(
                Problem(
                    "bad-param-name",
                    step.name,
                    f"param {key!r} cannot be a named parameter on a Databricks SQL "
                    "warehouse; use letters, digits and underscores",
                )
            )
    return problems


def _name_problems(steps: list[Step]) -> list[Problem]:
    problems = []
    counts = Counter(s.name for s in steps)
    for name, count in counts.items():
        if count > 1:
            problems.append(
                Problem("duplicate-step-name", name, f"{count} steps are named '{name}'")
            )
    by_task: dict[str, set[str]] = defaultdict(set)
    for step in steps:
        task_id = task_id_for(step.name)
        if not task_id:
            problems.append(
                Problem(
                    "bad-step-name",
                    step.name,
                    "the name has no letter or digit Airflow could use as a task id",
                )
            )
        elif task_id in RESERVED_TASK_IDS:
            problems.append(
                Problem(
                    "reserved-step-name",
                    step.name,
                    f"task id '{task_id}' is reserved by mlpipelines",
                )
            )
        elif len(task_id) > 250:
            problems.append(
                Problem(
                    "bad-step-name",
                    step.name[:40] + "...",
                    f"the name is {len(task_id)} characters; Airflow allows 250",
                )
            )
        else:
            by_task[task_id].add(step.name)
    for task_id, names in by_task.items():
        if len(names) > 1:
            listed = ", ".join(f"'{n}'" for n in sorted(names))
            problems.append(
                Problem(
                    "task-id-collision",
                    sorted(names)[0],
                    f"steps {listed} would all become Airflow task '{task_id}'",
                )
            )
    return problems


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
        counts = Counter(_data_name(i) for i in items)
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
    found = [_argument_problem(value, declared) for value in data.step.argument_values]
    return [problem for problem in found if problem is not None]


def _argument_problem(value: Any, declared: set[int]) -> tuple[str, str] | None:
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
)


def _step_problems(
    step: Step, checked: dict[tuple[str, str], list[tuple[str, str]]]
) -> list[Problem]:
    """Every problem of one step, each tied to it."""
    data = _StepData.of(step)
    found = [problem for check in _STEP_CHECKS for problem in check(data)]
    if step.script_name is not None or isinstance(step, PythonScriptStep):
        found += _script_problems(step, checked)
    return [Problem(kind, step.name, message) for kind, message in found]


def _script_problems(
    step: Step, checked: dict[tuple[str, str], list[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """Problems of a step's script; ``checked`` remembers folders and scripts already looked
    at in this validation, since many steps share one source folder."""
    script = step.script_name
    if not isinstance(script, str) or not script.strip():
        return [("bad-script-name", f"script_name {script!r} must name a file")]
    pure = PurePosixPath(script.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        return [
            (
                "script-outside-source",
                f"script '{script}' is outside source_directory; give a path relative to it",
            )
        ]
    folder = str(step.resolved_source_directory)
    key = (folder, script)
    if key not in checked:
        if not os.path.isdir(folder):
            checked[key] = [
                ("missing-source-directory", f"source_directory '{folder}' does not exist")
            ]
        elif not os.path.isfile(os.path.join(folder, script)):
            checked[key] = [
                ("missing-script", f"script '{script}' is not in source_directory '{folder}'")
            ]
        else:
            checked[key] = []
    return checked[key]


def _data_problems(steps: list[Step]) -> list[Problem]:
    problems = []
    in_pipeline = {id(s) for s in steps}
    seen: dict[int, PipelineData] = {}
    consumers: dict[int, Step] = {}
    for step in steps:
        for item in [*step.inputs, *step.outputs]:
            data = underlying(item)
            if isinstance(data, PipelineData):
                seen.setdefault(id(data), data)
                if any(underlying(i) is data for i in step.inputs):
                    consumers.setdefault(id(data), step)
    for key, data in seen.items():
        owner = consumers.get(key)
        if not isinstance(data.name, str) or not IDENTIFIER.match(data.name):
            where = data._producers[0].name if data._producers else getattr(owner, "name", None)
            problems.append(
                Problem(
                    "bad-data-name",
                    where,
                    f"PipelineData name {data.name!r} "
                    "must be letters, digits and '_' (not starting with a digit)",
                )
            )
        producers = [p for p in data._producers if id(p) in in_pipeline]
        if not producers and owner is not None:
            problems.append(
                Problem(
                    "data-never-produced",
                    owner.name,
                    f"PipelineData '{data.name}' is consumed but no step lists it in outputs",
                )
            )
        if len(producers) > 1:
            names = ", ".join(f"'{p.name}'" for p in producers)
            problems.append(
                Problem(
                    "data-produced-twice",
                    producers[1].name,
                    f"PipelineData '{data.name}' is produced by steps {names}",
                )
            )
    return problems


def _parameter_problems(steps: list[Step]) -> list[Problem]:
    problems = []
    first: dict[str, tuple[Step, PipelineParameter]] = {}
    reported: set[str] = set()
    for step, param in iter_parameters(steps):
        name = param.name
        if name in reported:
            continue
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            problems.append(
                Problem(
                    "bad-parameter-name",
                    step.name,
                    f"PipelineParameter name {name!r} must be letters, digits and '_'",
                )
            )
        elif name in RESERVED_PARAMETER_NAMES or name.startswith(RESERVED_PARAMETER_PREFIX):
            problems.append(
                Problem(
                    "reserved-parameter-name",
                    step.name,
                    f"PipelineParameter name '{name}' is reserved by mlpipelines",
                )
            )
        elif param.param_type is None:
            problems.append(
                Problem(
                    "bad-parameter-default",
                    step.name,
                    f"PipelineParameter "
                    f"'{name}' default {param.default_value!r} is not a string, "
                    "number or bool",
                )
            )
        elif name in first:
            other_step, other = first[name]
            if other is not param and (type(other.default_value), other.default_value) != (
                type(param.default_value),
                param.default_value,
            ):
                problems.append(
                    Problem(
                        "parameter-conflict",
                        step.name,
                        f"PipelineParameter "
                        f"'{name}' has default {param.default_value!r} here but "
                        f"{other.default_value!r} in step '{other_step.name}'",
                    )
                )
        else:
            first[name] = (step, param)
            continue
        reported.add(name)
    return problems


def _cycle_problems(steps: list[Step]) -> list[Problem]:
    """Kahn's algorithm finds whether there is a cycle cheaply; networkx names its steps only
    then, so valid pipelines never pay for importing it at DAG parse time."""
    members = {id(s) for s in steps}
    upstreams = {
        id(s): [u for u in step_upstreams(s) if u is not s and id(u) in members] for s in steps
    }
    indegree = {key: len(ups) for key, ups in upstreams.items()}
    downstream: dict[int, list[int]] = defaultdict(list)
    for key, ups in upstreams.items():
        for up in ups:
            downstream[id(up)].append(key)
    ready = [key for key, degree in indegree.items() if degree == 0]
    done = 0
    while ready:
        key = ready.pop()
        done += 1
        for child in downstream[key]:
            if child in indegree:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
    if done == len(indegree):
        return []
    import networkx as nx

    graph = nx.DiGraph()
    by_id = {id(s): s for s in steps}
    for key, ups in upstreams.items():
        graph.add_edges_from((id(up), key) for up in ups)
    problems = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        names = [by_id[a].name for a, _ in cycle] + [by_id[cycle[0][0]].name]
        problems.append(Problem("cycle", names[0], "steps form a cycle: " + " -> ".join(names)))
    return problems


def _data_name(item: object) -> str:
    """The name a step's input or output is known by (a DataPath pair: its parameter's)."""
    if data_path_input(item):
        return item[0].name  # type: ignore[index]
    return str(getattr(item, "name", item))
