"""Plan: a pipeline becomes plain task records (no Airflow), the one form the renderer reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlpipelines._naming import task_id_for
from mlpipelines.model.compute import (
    CONTAINER_BACKENDS,
    AdlaCompute,
    AmlCompute,
    registered_target,
)
from mlpipelines.model.data import DataInput, DataReference, PipelineData, underlying
from mlpipelines.model.dataset import DatasetConsumptionConfig
from mlpipelines.model.dataset_sources import data_path_input
from mlpipelines.model.datastore import clean_relative_path
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.pipeline import step_upstreams
from mlpipelines.model.steps import Step
from mlpipelines.translate.step_docs import step_doc_md

REGENERATE_PARAM = "regenerate_outputs"

if TYPE_CHECKING:
    from mlpipelines.model.pipeline import Pipeline


@dataclass(frozen=True)
class ParamSpec:
    """One DAG Param: a PipelineParameter's name, default and JSON-schema type."""

    name: str
    default: Any
    type: str


@dataclass(frozen=True)
class TaskSpec:
    """One task: its id, the step kind (which picks the operator), the step's definition
    as JSON-able data, the ids of the tasks before it, and its documentation."""

    task_id: str
    kind: str
    definition: dict[str, Any]
    upstream: tuple[str, ...]
    doc_md: str


@dataclass(frozen=True)
class PipelinePlan:
    """The tasks of a pipeline, its DAG params, and whether it opens with a reuse sensor
    (it does when any step may be reused)."""

    params: tuple[ParamSpec, ...]
    tasks: tuple[TaskSpec, ...]
    description: str | None
    reuse: bool = False


def plan_pipeline(pipeline: Pipeline, dag_id: str | None = None) -> PipelinePlan:
    """Validate a pipeline, then describe each step as a TaskSpec; raises on any problem."""
    pipeline.validate(dag_id)
    default_store = pipeline.default_datastore.spec.to_dict()
    params = (
        *(
            ParamSpec(p.name, p.json_default, p.param_type or "string")
            for p in pipeline.parameters.values()
        ),
        ParamSpec(REGENERATE_PARAM, False, "boolean"),
    )
    tasks = []
    for step in pipeline.steps:
        definition = step_definition(step, default_store)
        record = registered_target(definition["compute_target"], pipeline.workspace)
        if record is not None:
            definition["compute"] = compute_settings(record)
        upstream = tuple(task_id_for(u.name) for u in step_upstreams(step))
        tasks.append(
            TaskSpec(
                definition["task_id"], step.kind, definition, upstream, step_doc_md(definition)
            )
        )
    reuse = any(t.definition["allow_reuse"] for t in tasks)
    return PipelinePlan(params, tuple(tasks), pipeline.description, reuse)


def compute_settings(record: dict[str, Any]) -> dict[str, Any]:
    """What a task needs of its registered target: the pool that caps its cluster's nodes;
    for a cluster, where its steps run (a pod or container backend and its image); for an
    analytics target on a Databricks SQL warehouse, the connection and the warehouse."""
    compute: dict[str, Any] = {"type": record["type"], "pool": record.get("pool")}
    settings = record.get("settings") or {}
    if record["type"] == AmlCompute.type_name:
        compute["backend"] = settings.get("backend") or "local"
        if compute["backend"] in CONTAINER_BACKENDS:
            compute.update(
                image=settings.get("image"),
                namespace=settings.get("namespace"),
                docker_url=settings.get("docker_url"),
                env_from_secrets=list(settings.get("env_from_secrets") or ()),
            )
    elif record["type"] == AdlaCompute.type_name and settings.get("engine") == "databricks_sql":
        compute.update(
            engine="databricks_sql",
            conn_id=settings["databricks_compute"],
            warehouse_id=settings["warehouse_id"],
            catalog=settings.get("catalog"),
        )
    return compute


def step_definition(step: Step, default_store: dict[str, Any]) -> dict[str, Any]:
    """A step as JSON-able data: everything the operator needs at run time."""
    inputs = [_input_spec(item) for item in step.inputs]
    outputs = [_output_spec(data, default_store) for data in step.outputs]
    names = {
        id(underlying(item)): item[0].name if data_path_input(item) else item.name
        for item in step.inputs
    }
    output_names = {id(data): data.name for data in step.outputs}
    definition: dict[str, Any] = {
        "kind": step.kind,
        "name": step.name,
        "task_id": task_id_for(step.name),
        "inputs": inputs,
        "outputs": outputs,
        "arguments": [_token(v, names, output_names) for v in step.argument_values],
        "params": {k: _token(v, names, output_names) for k, v in step.param_values.items()},
        "compute_target": step.compute_target_name,
        "allow_reuse": bool(step.allow_reuse),
        "version": step.version,
        "default_datastore": default_store,
    }
    if step.script_name is not None:
        definition["script_name"] = step.script_name.replace("\\", "/")
        definition["source_directory"] = str(step.resolved_source_directory)
    definition.update(step.definition_extras())
    return definition


def _token(value: Any, inputs: dict[int, str], outputs: dict[int, str]) -> dict[str, Any]:
    data = underlying(value)
    if isinstance(value, PipelineParameter):
        return {"parameter": value.name}
    if id(data) in outputs:
        return {"output": outputs[id(data)]}
    if id(data) in inputs:
        return {"input": inputs[id(data)]}
    return {"value": str(value)}


def _input_spec(item: Any) -> dict[str, Any]:
    if data_path_input(item):
        param, binding = item
        default_store = param.default_value.datastore
        stores = {}
        if not isinstance(default_store, str) and default_store.spec.kind == "local":
            stores[default_store.name] = default_store.spec.to_dict()
        return {
            "name": param.name,
            "kind": "data_path",
            "parameter": param.name,
            "mode": binding.mode,
            "path_on_compute": binding.path_on_compute,
            "stores": stores,
        }
    if isinstance(item, DatasetConsumptionConfig):
        return {
            "name": item.name,
            "kind": "dataset",
            "consumption": item.to_dict(),
            "mode": item.mode,
            "path_on_compute": item.path_on_compute,
            "stores": _dataset_stores(item.dataset),
        }
    if isinstance(item, DataReference):
        return {
            "name": item.name,
            "kind": "data_reference",
            "datastore": item.datastore.spec.to_dict(),
            "path_on_datastore": clean_relative_path(item.path_on_datastore),
            "mode": item.mode,
            "path_on_compute": item.path_on_compute,
        }
    data: PipelineData = underlying(item)
    return {
        "name": item.name,
        "kind": "pipeline_data",
        "data": data.name,
        "producer": task_id_for(data._producers[0].name),
        "mode": item.mode if isinstance(item, DataInput) else "mount",
        "path_on_compute": item.path_on_compute if isinstance(item, DataInput) else None,
    }


def _dataset_stores(dataset: Any) -> dict[str, Any]:
    """The local folders a dataset's sources name, as registered in its workspace: a task's
    own workspace knows only the default datastores and Airflow connections."""
    ws = dataset.workspace
    stores: dict[str, Any] = {}
    for source in dataset.definition()["sources"]:
        spec = ws.datastore_specs.get(source.get("datastore")) if ws is not None else None
        if spec is not None and spec.kind == "local" and spec.path:
            stores[spec.name] = spec.to_dict()
    return stores


def _output_spec(data: Any, default_store: dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, DataReference):
        # A fixed place the step's files are uploaded to once it succeeds (as_upload).
        return {
            "name": data.name,
            "kind": "data_reference",
            "datastore": data.datastore.spec.to_dict(),
            "path_on_datastore": clean_relative_path(data.path_on_datastore),
            "mode": "upload",
            "path_on_compute": data.path_on_compute,
        }
    store = data.datastore.spec.to_dict() if data.datastore is not None else default_store
    return {
        "name": data.name,
        "datastore": store,
        "mode": data.output_mode,
        "path_on_compute": data.output_path_on_compute,
    }
