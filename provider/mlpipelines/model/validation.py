"""Every check a pipeline must pass before it becomes a DAG, reported all at once; the checks
of each single step are in `step_checks`."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from mlpipelines._naming import AIRFLOW_ID, IDENTIFIER, task_id_for
from mlpipelines.errors import Problem
from mlpipelines.model.data import PipelineData, underlying
from mlpipelines.model.dataset import AbstractDataset, DatasetConsumptionConfig
from mlpipelines.model.graph import iter_parameters, step_upstreams
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.step_checks import step_problems
from mlpipelines.model.steps import Step
from mlpipelines.records.parameter_limits import integer_problem, string_problem
from mlpipelines.records.reserved import RESERVED_PARAMETER_NAMES, RESERVED_TASK_IDS
from mlpipelines.records.step_kinds import STEP_KINDS

if TYPE_CHECKING:
    from mlpipelines.model.step_graph import StepGraph

RESERVED_PARAMETER_PREFIX = "mlpipelines_"


def find_problems(pipeline: StepGraph, dag_id: str | None = None) -> list[Problem]:
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
        problems += step_problems(step, checked)
    problems += _data_problems(steps)
    problems += _parameter_problems(steps)
    problems += _cycle_problems(steps)
    problems += _compute_problems(steps, pipeline.workspace, pipeline.default_datastore)
    return problems


def _compute_problems(
    steps: list[Step], workspace: object, default_datastore: Any = None
) -> list[Problem]:
    """Step kinds the registry does not know, unknown compute targets, and targets of a kind
    the step cannot run on (``StepKind.runs_on``). A Databricks step's target is an Airflow
    connection id, checked when it runs."""
    from mlpipelines.model.compute import LOCAL_NAME, registered_target

    problems = []
    for step in steps:
        if step.kind not in STEP_KINDS:
            problems.append(
                Problem(
                    "unknown-step-kind",
                    step.name,
                    f"{type(step).__name__} has kind '{step.kind}', which no entry of "
                    "mlpipelines.records.step_kinds.STEP_KINDS declares",
                )
            )
            continue
        name = step.compute_target_name
        allowed = STEP_KINDS[step.kind].runs_on
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


def _data_problems(steps: list[Step]) -> list[Problem]:
    problems = []
    in_pipeline = {id(s) for s in steps}
    seen: dict[int, PipelineData] = {}
    consumers: dict[int, Step] = {}
    for step in steps:
        read = {id(underlying(i)) for i in step.inputs}
        for item in [*step.inputs, *step.outputs]:
            data = underlying(item)
            if isinstance(data, PipelineData):
                seen.setdefault(id(data), data)
                if id(data) in read:
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
                    f"{type(data).__name__} '{data.name}' is consumed but no step lists it "
                    "in outputs"
                    + ("" if type(data) is PipelineData else " or names it first in arguments"),
                )
            )
        if len(producers) > 1:
            names = ", ".join(f"'{p.name}'" for p in producers)
            problems.append(
                Problem(
                    "data-produced-twice",
                    producers[1].name,
                    f"{type(data).__name__} '{data.name}' is produced by steps {names}",
                )
            )
    return problems


def _default_problem(default: object) -> str | None:
    """Why a default no run could carry is refused (the REST request refuses such values)."""
    if isinstance(default, str):
        return string_problem(default)
    if isinstance(default, int) and not isinstance(default, bool):
        return integer_problem(default)
    return None


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
        elif (out_of_bounds := _default_problem(param.default_value)) is not None:
            problems.append(
                Problem(
                    "bad-parameter-default",
                    step.name,
                    f"PipelineParameter '{name}' default {out_of_bounds}",
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
