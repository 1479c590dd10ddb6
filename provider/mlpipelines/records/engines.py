"""Where and on what a step runs: a registered compute target's settings, a Databricks job,
a data transfer's destination. Each is part of the step definition (and of its reuse key
where it decides the result)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from mlpipelines.records.datastore import DatastoreSpec
from mlpipelines.records.tokens import ArgumentToken

# The compute target every step runs on unless it names another: the Airflow worker.
LOCAL_NAME = "local"
# Where a cluster target's steps run: worker processes, Kubernetes pods, Docker containers.
BACKENDS = ("local", "kubernetes", "docker")
CONTAINER_BACKENDS = ("kubernetes", "docker")
STEP_IMAGE_ENV = "MLPIPELINES_STEP_IMAGE"


def default_step_image() -> str | None:
    """The step image a pod or container target uses when it names none (read when called)."""
    return os.environ.get(STEP_IMAGE_ENV) or None


@dataclass(frozen=True)
class ComputeSettings:
    """What a task needs of its registered target: the pool that caps its cluster's nodes;
    for a cluster, where its steps run (a pod or container ``backend`` and its image); for
    an analytics target on a Databricks SQL warehouse, the connection and the warehouse."""

    type: str
    pool: str | None = None
    backend: str | None = None
    image: str | None = None
    namespace: str | None = None
    docker_url: str | None = None
    env_from_secrets: tuple[str, ...] = ()
    engine: str | None = None
    conn_id: str | None = None
    warehouse_id: str | None = None
    catalog: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "pool": self.pool}
        if self.backend is not None:
            data["backend"] = self.backend
        if self.backend not in (None, "local"):
            data.update(
                image=self.image,
                namespace=self.namespace,
                docker_url=self.docker_url,
                env_from_secrets=list(self.env_from_secrets),
            )
        if self.engine is not None:
            data["engine"] = self.engine
            data["conn_id"] = self.conn_id
            data["warehouse_id"] = self.warehouse_id
            data["catalog"] = self.catalog
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ComputeSettings:
        return cls(
            data["type"],
            data.get("pool"),
            data.get("backend"),
            data.get("image"),
            data.get("namespace"),
            data.get("docker_url"),
            tuple(data.get("env_from_secrets") or ()),
            data.get("engine"),
            data.get("conn_id"),
            data.get("warehouse_id"),
            data.get("catalog"),
        )


@dataclass(frozen=True)
class DatabricksTask:
    """What a Databricks run executes: a notebook (with its data widgets), a Python file on
    DBFS, a script from the step's source folder, or a jar's main class."""

    kind: str
    notebook_path: str | None = None
    data_params: dict[str, ArgumentToken] = field(default_factory=dict)
    python_file: str | None = None
    python_script_name: str | None = None
    main_class_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.notebook_path is not None:
            data["notebook_path"] = self.notebook_path
            data["data_params"] = {k: t.to_json() for k, t in self.data_params.items()}
        elif self.python_file is not None:
            data["python_file"] = self.python_file
        elif self.python_script_name is not None:
            data["python_script_name"] = self.python_script_name
        else:
            data["main_class_name"] = self.main_class_name
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatabricksTask:
        return cls(
            data["kind"],
            data.get("notebook_path"),
            {k: ArgumentToken.from_json(t) for k, t in (data.get("data_params") or {}).items()},
            data.get("python_file"),
            data.get("python_script_name"),
            data.get("main_class_name"),
        )


@dataclass(frozen=True)
class DatabricksSettings:
    """A Databricks step's job: the connection (its compute target), the cluster and task."""

    conn_id: str
    task: DatabricksTask
    existing_cluster_id: str | None = None
    new_cluster: dict[str, Any] | None = None
    run_name: str | None = None
    timeout_seconds: int | None = None
    permit_cluster_restart: bool | None = None
    # Jobs API ``libraries`` entries ({"jar": ...}, {"pypi": {...}}, ...), in the order given.
    libraries: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "conn_id": self.conn_id,
            "existing_cluster_id": self.existing_cluster_id,
            "new_cluster": self.new_cluster,
            "task": self.task.to_json(),
            "run_name": self.run_name,
            "timeout_seconds": self.timeout_seconds,
            "permit_cluster_restart": self.permit_cluster_restart,
        }
        # Only when there are some: the reuse keys of steps without libraries stay as they were.
        if self.libraries:
            data["libraries"] = [dict(library) for library in self.libraries]
        return data

    def reuse_component(self) -> dict[str, Any]:
        """What decides the run's result: all but the connection (the compute target, a
        component of the key of its own)."""
        return {k: v for k, v in self.to_json().items() if k != "conn_id"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatabricksSettings:
        return cls(
            data["conn_id"],
            DatabricksTask.from_json(data["task"]),
            data.get("existing_cluster_id"),
            data.get("new_cluster"),
            data.get("run_name"),
            data.get("timeout_seconds"),
            data.get("permit_cluster_restart"),
            tuple(dict(library) for library in data.get("libraries") or ()),
        )


@dataclass(frozen=True)
class TransferDestination:
    """A data transfer's fixed destination: a path on a datastore."""

    datastore: DatastoreSpec
    path: str

    def to_json(self) -> dict[str, Any]:
        return {"datastore": self.datastore.to_dict(), "path": self.path}


@dataclass(frozen=True)
class SqlSource:
    """A data transfer's SQL source: a database datastore and exactly one of a query, a table
    or a stored procedure whose rows the transfer writes as one Parquet or CSV file."""

    datastore: DatastoreSpec
    query: str | None = None
    table: str | None = None
    procedure: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "datastore": self.datastore.to_dict(),
            "query": self.query,
            "table": self.table,
            "procedure": self.procedure,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SqlSource:
        return cls(
            DatastoreSpec.from_json(data["datastore"]),
            data.get("query"),
            data.get("table"),
            data.get("procedure"),
        )


@dataclass(frozen=True)
class TransferSettings:
    """A data transfer: which input it copies, the types both ends must have, and where to:
    a fixed ``destination``, or the PipelineData ``output`` later steps read."""

    source: str
    source_type: str | None = None
    destination_type: str | None = None
    destination: TransferDestination | None = None
    output: str | None = None
    sql: SqlSource | None = None
    """Set when the source is a SqlDataReference (then ``source`` is only its name)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "source_type": self.source_type,
            "destination_type": self.destination_type,
        }
        if self.sql is not None:
            data["sql"] = self.sql.to_json()
        if self.destination is not None:
            data["destination"] = self.destination.to_json()
        else:
            data["output"] = self.output
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransferSettings:
        destination = data.get("destination")
        return cls(
            data["source"],
            data.get("source_type"),
            data.get("destination_type"),
            TransferDestination(
                DatastoreSpec.from_json(destination["datastore"]), destination["path"]
            )
            if destination
            else None,
            data.get("output"),
            SqlSource.from_json(data["sql"]) if data.get("sql") else None,
        )
