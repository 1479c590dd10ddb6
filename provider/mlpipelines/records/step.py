"""A step's definition: everything its task needs at run time, planned once from the
pipeline and read by every layer (operators, runtime, reuse, docs, stored specs)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from mlpipelines.records.datastore import DatastoreSpec
from mlpipelines.records.engines import (
    LOCAL_NAME,
    ComputeSettings,
    DatabricksSettings,
    TransferSettings,
)
from mlpipelines.records.inputs import PipelineDataInput, StepInput, input_from_json
from mlpipelines.records.notebook import NotebookSettings
from mlpipelines.records.outputs import StepOutput, output_from_json
from mlpipelines.records.parallel_run import ParallelRunSettings
from mlpipelines.records.tokens import ArgumentToken

# The JSON form's version. Version 1 is the same document without "schema": definitions
# stored before it existed read as they are.
DEFINITION_SCHEMA = 1


@dataclass
class SourceRef:
    """A step's submitted source folder: a snapshot at ``path`` on ``store``."""

    store: DatastoreSpec
    path: str

    def to_json(self) -> dict[str, Any]:
        return {"store": self.store.to_dict(), "path": self.path}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceRef:
        return cls(DatastoreSpec.from_json(data["store"]), data["path"])


@dataclass
class StepDefinition:
    """One planned step. ``kind`` names its entry in the step-kind registry; the fields
    after ``default_datastore`` belong to some kinds only (None or empty elsewhere)."""

    kind: str
    name: str
    task_id: str
    inputs: tuple[StepInput, ...]
    outputs: tuple[StepOutput, ...]
    arguments: tuple[ArgumentToken, ...]
    params: dict[str, ArgumentToken]
    compute_target: str
    allow_reuse: bool
    version: str | None
    default_datastore: DatastoreSpec
    script_name: str | None = None
    source_directory: str | None = None
    source_ref: SourceRef | None = None
    compute: ComputeSettings | None = None
    interpreter: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    databricks: DatabricksSettings | None = None
    deferrable: bool | None = None
    transfer: TransferSettings | None = None
    threads: int | None = None
    notebook: NotebookSettings | None = None
    parallel_run: ParallelRunSettings | None = None

    @property
    def pool(self) -> str | None:
        """The Airflow pool of the step's compute target, if it has one."""
        return self.compute.pool if self.compute is not None else None

    def qualified(self, qualify: Any) -> StepDefinition:
        """This definition with its own and its producers' task ids mapped by ``qualify``
        (the ids they have inside a TaskGroup)."""
        inputs = tuple(
            i.with_producer(qualify(i.producer)) if isinstance(i, PipelineDataInput) else i
            for i in self.inputs
        )
        return replace(self, task_id=qualify(self.task_id), inputs=inputs)

    def with_changes(self, **changes: Any) -> StepDefinition:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": DEFINITION_SCHEMA,
            "kind": self.kind,
            "name": self.name,
            "task_id": self.task_id,
            "inputs": [i.to_json() for i in self.inputs],
            "outputs": [o.to_json() for o in self.outputs],
            "arguments": [t.to_json() for t in self.arguments],
            "params": {k: t.to_json() for k, t in self.params.items()},
            "compute_target": self.compute_target,
            "allow_reuse": self.allow_reuse,
            "version": self.version,
            "default_datastore": self.default_datastore.to_dict(),
        }
        optional: dict[str, Any] = {
            "script_name": self.script_name,
            "source_directory": self.source_directory,
            "source_ref": self.source_ref.to_json() if self.source_ref else None,
            "compute": self.compute.to_json() if self.compute else None,
            "interpreter": self.interpreter,
            "databricks": self.databricks.to_json() if self.databricks else None,
            "transfer": self.transfer.to_json() if self.transfer else None,
            "threads": self.threads,
            "notebook": self.notebook.to_json() if self.notebook else None,
            "parallel_run": self.parallel_run.to_json() if self.parallel_run else None,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.environment_variables:
            data["environment_variables"] = dict(self.environment_variables)
        if self.deferrable is not None:
            data["deferrable"] = self.deferrable
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepDefinition:
        """A definition from its JSON form; refuses a schema newer than this code knows."""
        schema = data.get("schema", 1)
        if schema > DEFINITION_SCHEMA:
            raise ValueError(
                f"step '{data.get('name')}': definition schema {schema} is newer than "
                f"{DEFINITION_SCHEMA}; upgrade mlpipelines where this step runs"
            )
        source_ref = data.get("source_ref")
        compute = data.get("compute")
        databricks = data.get("databricks")
        transfer = data.get("transfer")
        notebook = data.get("notebook")
        parallel_run = data.get("parallel_run")
        return cls(
            kind=data["kind"],
            name=data["name"],
            task_id=data["task_id"],
            inputs=tuple(input_from_json(i) for i in data.get("inputs") or ()),
            outputs=tuple(output_from_json(o) for o in data.get("outputs") or ()),
            arguments=tuple(ArgumentToken.from_json(t) for t in data.get("arguments") or ()),
            params={k: ArgumentToken.from_json(t) for k, t in (data.get("params") or {}).items()},
            compute_target=data.get("compute_target") or LOCAL_NAME,
            allow_reuse=bool(data.get("allow_reuse", True)),
            version=data.get("version"),
            default_datastore=DatastoreSpec.from_json(data["default_datastore"]),
            script_name=data.get("script_name"),
            source_directory=data.get("source_directory"),
            source_ref=SourceRef.from_json(source_ref) if source_ref else None,
            compute=ComputeSettings.from_json(compute) if compute else None,
            interpreter=data.get("interpreter"),
            environment_variables=dict(data.get("environment_variables") or {}),
            databricks=DatabricksSettings.from_json(databricks) if databricks else None,
            deferrable=data.get("deferrable"),
            transfer=TransferSettings.from_json(transfer) if transfer else None,
            threads=data.get("threads"),
            notebook=NotebookSettings.from_json(notebook) if notebook else None,
            parallel_run=ParallelRunSettings.from_json(parallel_run) if parallel_run else None,
        )
