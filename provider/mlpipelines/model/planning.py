"""Plan: a pipeline becomes plain task records (no Airflow), the one form the renderer reads.

The model describes itself here; ``mlpipelines.translate`` renders the records."""

from __future__ import annotations

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
from mlpipelines.model.graph import step_upstreams
from mlpipelines.model.output_dataset import OutputFileDatasetConfig, OutputTabularDatasetConfig
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.step_environment import step_compute
from mlpipelines.model.step_io import input_name, is_argument_data, value_data_name
from mlpipelines.model.steps import Step
from mlpipelines.records import (
    ArgumentToken,
    ComputeSettings,
    DataPathInput,
    DataReferenceInput,
    DataReferenceOutput,
    DatasetInput,
    DatastoreSpec,
    PipelineDataInput,
    PipelineDataOutput,
    StepDefinition,
    StepInput,
    StepOutput,
)
from mlpipelines.records.paths import clean_relative_path
from mlpipelines.records.plan import ParamSpec, PipelinePlan, TaskSpec
from mlpipelines.records.reserved import REGENERATE_PARAM
from mlpipelines.translate.step_docs import step_doc_md

if TYPE_CHECKING:
    from mlpipelines.model.step_graph import StepGraph

REGENERATE_DESCRIPTION = (
    "Run every step, even those whose results an earlier run with the same inputs, code and "
    "parameters already made (reuse is skipped)."
)


def plan_pipeline(pipeline: StepGraph, dag_id: str | None = None) -> PipelinePlan:
    """Validate a pipeline, then describe each step as a TaskSpec; raises on any problem."""
    pipeline.validate(dag_id)
    default_store = pipeline.default_datastore.spec
    params = (
        *(
            ParamSpec(p.name, p.json_default, p.param_type or "string", p.description)
            for p in pipeline.parameters.values()
        ),
        ParamSpec(REGENERATE_PARAM, False, "boolean", REGENERATE_DESCRIPTION),
    )
    tasks = []
    for step in pipeline.steps:
        record = registered_target(step.compute_target_name, pipeline.workspace)
        compute = compute_settings(record) if record is not None else None
        definition = step_definition(step, default_store, step_compute(step, compute))
        upstream = tuple(task_id_for(u.name) for u in step_upstreams(step))
        tasks.append(
            TaskSpec(definition.task_id, step.kind, definition, upstream, step_doc_md(definition))
        )
    reuse = any(t.definition.allow_reuse for t in tasks)
    return PipelinePlan(params, tuple(tasks), pipeline.description, reuse)


def compute_settings(record: dict[str, Any]) -> ComputeSettings:
    """What a task needs of its registered target (a compute-target record): the pool that
    caps its cluster's nodes; for a cluster, where its steps run (a pod or container backend
    and its image); for an analytics target on a Databricks SQL warehouse, the connection
    and the warehouse."""
    settings = record.get("settings") or {}
    pool = record.get("pool")
    if record["type"] == AmlCompute.type_name:
        backend = settings.get("backend") or "local"
        if backend not in CONTAINER_BACKENDS:
            return ComputeSettings(record["type"], pool, backend)
        return ComputeSettings(
            record["type"],
            pool,
            backend,
            image=settings.get("image"),
            namespace=settings.get("namespace"),
            docker_url=settings.get("docker_url"),
            env_from_secrets=tuple(settings.get("env_from_secrets") or ()),
        )
    if record["type"] == AdlaCompute.type_name and settings.get("engine") == "databricks_sql":
        return ComputeSettings(
            record["type"],
            pool,
            engine="databricks_sql",
            conn_id=settings["databricks_compute"],
            warehouse_id=settings["warehouse_id"],
            catalog=settings.get("catalog"),
        )
    return ComputeSettings(record["type"], pool)


def step_definition(
    step: Step, default_store: DatastoreSpec, compute: ComputeSettings | None = None
) -> StepDefinition:
    """A step as a definition: everything the operator needs at run time."""
    names = DataNames(step)
    source: dict[str, Any] = {}
    if step.script_name is not None:
        source = {
            "script_name": step.script_name.replace("\\", "/"),
            "source_directory": step.source_folder,
        }
    return StepDefinition(
        kind=step.kind,
        name=step.name,
        task_id=task_id_for(step.name),
        inputs=tuple(_input_spec(item) for item in step.inputs),
        outputs=tuple(_output_spec(data, default_store) for data in step.outputs),
        arguments=tuple(_token(v, names) for v in step.argument_values),
        params={k: _token(v, names) for k, v in step.param_values.items()},
        compute_target=step.compute_target_name,
        allow_reuse=bool(step.allow_reuse),
        version=step.version,
        default_datastore=default_store,
        compute=compute,
        **source,
        **step.definition_extras(),
    )


class DataNames:
    """A step's inputs and outputs by object and by name: an argument names the data of the
    same object or, failing that, of the same name (as Azure ML matches them)."""

    def __init__(self, step: Step) -> None:
        self.inputs = {id(underlying(item)): str(input_name(item)) for item in step.inputs}
        self.outputs = {id(data): data.name for data in step.outputs}
        self.input_names = set(self.inputs.values())
        self.output_names = set(self.outputs.values())

    def token(self, value: Any) -> ArgumentToken | None:
        """The input or output token ``value`` stands for, if it is the step's data."""
        data = underlying(value)
        if id(data) in self.outputs and not _reads(value):
            return ArgumentToken("output", self.outputs[id(data)])
        if id(data) in self.inputs:
            return ArgumentToken("input", self.inputs[id(data)])
        if not is_argument_data(value):
            return None
        if value_data_name(value) in self.output_names and not _reads(value):
            return ArgumentToken("output", str(value_data_name(value)))
        if input_name(value) in self.input_names:
            return ArgumentToken("input", str(input_name(value)))
        return None


def _reads(value: Any) -> bool:
    """An ``as_input()``-style reading of data (not the tabular output form a producer names)."""
    return isinstance(value, DataInput) and type(value) is not OutputTabularDatasetConfig


def _token(value: Any, names: DataNames) -> ArgumentToken:
    if isinstance(value, str):  # most arguments: flags and literals
        return ArgumentToken("value", value)
    if isinstance(value, PipelineParameter):
        return ArgumentToken("parameter", value.name)
    return names.token(value) or ArgumentToken.literal(value)


def _input_spec(item: Any) -> StepInput:
    if data_path_input(item):
        param, binding = item
        default_store = param.default_value.datastore
        stores = {}
        if not isinstance(default_store, str) and default_store.spec.is_local:
            stores[default_store.name] = default_store.spec
        return DataPathInput(param.name, param.name, binding.mode, binding.path_on_compute, stores)
    if isinstance(item, DatasetConsumptionConfig):
        bound = item.pipeline_parameter
        return DatasetInput(
            item.name,
            item.to_dict(),
            item.mode,
            item.path_on_compute,
            _dataset_stores(item.dataset),
            None if bound is None else bound.name,
        )
    if isinstance(item, DataReference):
        return DataReferenceInput(
            item.name,
            item.datastore.spec,
            clean_relative_path(item.path_on_datastore),
            item.mode,
            item.path_on_compute,
        )
    data: PipelineData = underlying(item)
    reading = item if isinstance(item, DataInput) else None
    return PipelineDataInput(
        item.name,
        data.name,
        task_id_for(data._producers[0].name),
        reading.mode if reading is not None else "mount",
        reading.path_on_compute if reading is not None else None,
        reading.reader if reading is not None else None,
    )


def _dataset_stores(dataset: Any) -> dict[str, DatastoreSpec]:
    """The local folders a dataset's sources name, as registered in its workspace: a task's
    own workspace knows only the default datastores and Airflow connections."""
    ws = dataset.workspace
    stores: dict[str, DatastoreSpec] = {}
    for source in dataset.definition()["sources"]:
        spec = ws.datastore_specs.get(source.get("datastore")) if ws is not None else None
        if spec is not None and spec.is_local and spec.path:
            stores[spec.name] = spec
    return stores


def _output_spec(data: Any, default_store: DatastoreSpec) -> StepOutput:
    if isinstance(data, DataReference):
        # A fixed place the step's files are uploaded to once it succeeds (as_upload).
        return DataReferenceOutput(
            data.name,
            data.datastore.spec,
            clean_relative_path(data.path_on_datastore),
            "upload",
            data.path_on_compute,
        )
    store = data.datastore.spec if data.datastore is not None else default_store
    if isinstance(data, OutputFileDatasetConfig):
        destination = data.destination_path
        return PipelineDataOutput(
            data.name,
            store,
            data.output_mode,
            data.output_path_on_compute,
            None if destination is None else clean_relative_path(destination, "destination"),
            data.registration,
        )
    return PipelineDataOutput(data.name, store, data.output_mode, data.output_path_on_compute)
