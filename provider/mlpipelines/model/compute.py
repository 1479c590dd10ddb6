"""Compute targets: where a step runs.

``local`` (a process on the Airflow worker) always exists. Cluster targets (``AmlCompute``)
are Airflow pools whose slots are ``max_nodes``, so no more steps than that run at once;
Databricks workspaces are Airflow connections; the analytics target (``AdlaCompute``) names
the SQL engine. ``ComputeTarget(ws, name)`` returns the registered target of that name as
its own class, or raises ``ComputeTargetException``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from mlpipelines.errors import ComputeTargetException
from mlpipelines.records.engines import (
    BACKENDS,
    CONTAINER_BACKENDS,
    LOCAL_NAME,
    STEP_IMAGE_ENV,
    default_step_image,
)
from mlpipelines.records.numbers import is_whole

__all__ = [
    "ANALYTICS_ENGINES",
    "BACKENDS",
    "CONTAINER_BACKENDS",
    "LOCAL_COMPUTE",
    "LOCAL_NAME",
    "STEP_IMAGE_ENV",
    "AdlaAttachConfiguration",
    "AdlaCompute",
    "AmlCompute",
    "AmlComputeProvisioningConfiguration",
    "ComputeStatus",
    "ComputeTarget",
    "LocalCompute",
    "compute_name",
    "default_step_image",
    "registered_target",
]


class ComputeTarget:
    """A named place for steps to run: ``ComputeTarget(workspace=ws, name=name)``."""

    type_name: ClassVar[str] = "Local"
    _kinds: ClassVar[dict[str, type[ComputeTarget]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ComputeTarget._kinds[cls.type_name] = cls

    def __new__(cls, workspace: Any = None, name: str | None = None, *args: Any, **kw: Any):
        if cls is ComputeTarget and workspace is not None and name and name != LOCAL_NAME:
            record = _record_or_raise(workspace, name)
            kind = ComputeTarget._kinds.get(record["type"], ComputeTarget)
            return super().__new__(kind)
        return super().__new__(cls)

    def __init__(
        self, workspace: Any = None, name: str | None = None, type: str | None = None
    ) -> None:
        if not name:
            raise ComputeTargetException("ComputeTarget needs a name")
        self.workspace = workspace
        self.name = name
        self.settings: dict[str, Any] = {}
        record = None
        if workspace is not None and name != LOCAL_NAME:
            record = _record_or_raise(workspace, name)
        if record is not None:
            self.settings = dict(record.get("settings") or {})
        self.type = type or (record or {}).get("type") or self.type_name

    # -- registry -----------------------------------------------------------------------------
    @staticmethod
    def create(workspace: Any, name: str, provisioning_configuration: Any) -> ComputeTarget:
        """Register a cluster target: an Airflow pool of ``max_nodes`` slots, and its record."""
        return provisioning_configuration.register(workspace, name)

    @staticmethod
    def attach(workspace: Any, name: str, attach_configuration: Any) -> ComputeTarget:
        """Register an existing resource (a Databricks workspace, the analytics engine)."""
        return attach_configuration.register(workspace, name)

    @staticmethod
    def list(workspace: Any) -> list[ComputeTarget]:
        """Every registered target (``local`` first)."""
        return list(workspace.compute_targets.values())

    def delete(self) -> None:
        """Remove the target from Airflow (its pool or connection) and from the registry."""
        from mlpipelines.model.compute_registry import delete_record, read_record

        if self.name == LOCAL_NAME:
            raise ComputeTargetException("the local compute target cannot be deleted")
        record = read_record(self.name, self.workspace)
        if record is not None and self.workspace is not None and self.workspace.airflow_url:
            from mlpipelines.client.compute_admin import remove_airflow_objects

            remove_airflow_objects(self.workspace, record)
        delete_record(self.name, self.workspace)

    detach = delete

    # -- state --------------------------------------------------------------------------------
    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 20,
        is_delete_operation: bool = False,
    ) -> None:
        """Targets are ready once registered (nodes are Airflow pool slots, not machines)."""
        if show_output:
            print(f"{self.name}: provisioning state Succeeded", flush=True)

    def get_status(self) -> ComputeStatus:
        return self.status

    # The old SDK's state attributes: a registered target is always ready.
    provisioning_errors = None

    @property
    def cluster_resource_id(self) -> str:
        return self.name

    @property
    def status(self) -> ComputeStatus:
        return ComputeStatus(
            provisioning_state="Succeeded",
            vm_size=self.settings.get("vm_size"),
            min_nodes=self.settings.get("min_nodes", 0),
            max_nodes=self.settings.get("max_nodes"),
            backend=self.settings.get("backend"),
        )

    @property
    def provisioning_state(self) -> str:
        return "Succeeded"

    def serialize(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "settings": dict(self.settings)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, type={self.type!r})"


@dataclass
class ComputeStatus:
    """``ct.status``: what the old SDK reported, with Airflow's meaning."""

    provisioning_state: str
    vm_size: str | None = None
    min_nodes: int = 0
    max_nodes: int | None = None
    backend: str | None = None
    errors: list[str] = field(default_factory=list)

    def serialize(self) -> dict[str, Any]:
        return {
            "provisioningState": self.provisioning_state,
            "vmSize": self.vm_size,
            "scaleSettings": {"minNodeCount": self.min_nodes, "maxNodeCount": self.max_nodes},
            "backend": self.backend,
            "errors": list(self.errors),
        }


class AmlCompute(ComputeTarget):
    """A cluster: its steps run on the configured backend, at most ``max_nodes`` at once."""

    type_name: ClassVar[str] = "AmlCompute"

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int = 4,
        idle_seconds_before_scaledown: int | None = None,
        backend: str = "local",
        image: str | None = None,
        namespace: str | None = None,
        docker_url: str | None = None,
        env_from_secrets: list[str] | tuple[str, ...] | None = None,
        **_: Any,
    ) -> AmlComputeProvisioningConfiguration:
        """A cluster's settings; ``backend`` says how its steps run.

        ``local``: a process on the worker. ``kubernetes``: a pod from ``image`` in
        ``namespace``, with every key of the Kubernetes secrets ``env_from_secrets`` in its
        environment. ``docker``: a container from ``image`` on ``docker_url``, given the
        worker's environment variables named by ``env_from_secrets``. Secrets stay there:
        the record names them only.
        """
        return AmlComputeProvisioningConfiguration(
            vm_size,
            vm_priority,
            min_nodes,
            max_nodes,
            idle_seconds_before_scaledown,
            backend,
            image,
            namespace,
            docker_url,
            tuple(env_from_secrets or ()),
        )


@dataclass(frozen=True)
class AmlComputeProvisioningConfiguration:
    """What ``ComputeTarget.create`` registers for a cluster."""

    vm_size: str = ""
    vm_priority: str = "dedicated"
    min_nodes: int = 0
    max_nodes: int = 4
    idle_seconds_before_scaledown: int | None = None
    backend: str = "local"
    image: str | None = None
    namespace: str | None = None
    docker_url: str | None = None
    env_from_secrets: tuple[str, ...] = ()

    def validate(self, name: str) -> None:
        for what, value in (("min_nodes", self.min_nodes), ("max_nodes", self.max_nodes)):
            if not is_whole(value):
                raise ComputeTargetException(f"compute target '{name}': {what} must be >= 0")
        if self.max_nodes < 1 or self.min_nodes > self.max_nodes:
            raise ComputeTargetException(
                f"compute target '{name}': need 1 <= max_nodes and min_nodes <= max_nodes "
                f"(got min_nodes={self.min_nodes}, max_nodes={self.max_nodes})"
            )
        if self.backend not in BACKENDS:
            raise ComputeTargetException(
                f"compute target '{name}': backend '{self.backend}' is not available yet "
                f"(available: {', '.join(BACKENDS)})"
            )
        if self.backend in CONTAINER_BACKENDS and not self.image and not default_step_image():
            raise ComputeTargetException(
                f"compute target '{name}': backend '{self.backend}' needs an image: pass "
                f"image='registry/name:tag' (e.g. built from docker/step.Dockerfile), or set "
                f"{STEP_IMAGE_ENV} to a default step image on the client and the workers"
            )
        if not all(isinstance(n, str) and n for n in self.env_from_secrets):
            raise ComputeTargetException(
                f"compute target '{name}': env_from_secrets must be a list of names"
            )

    def register(self, workspace: Any, name: str) -> ComputeTarget:
        self.validate(name)
        settings = {**asdict(self), "env_from_secrets": list(self.env_from_secrets)}
        record = _new_record(name, AmlCompute.type_name, settings, pool=name)
        return _register(workspace, record, slots=self.max_nodes)


class AdlaCompute(ComputeTarget):
    """The analytics (SQL) target: the retired Data Lake Analytics service's place, now an
    engine: embedded DuckDB by default, or a Databricks SQL warehouse
    (``engine="databricks_sql"`` with the Databricks target and the warehouse id)."""

    type_name: ClassVar[str] = "ADLAnalytics"

    @staticmethod
    def attach_configuration(
        resource_group: str | None = None,
        account_name: str | None = None,
        resource_id: str | None = None,
        engine: str = "duckdb",
        databricks_compute: Any = None,
        warehouse_id: str | None = None,
        catalog: str | None = None,
    ) -> AdlaAttachConfiguration:
        return AdlaAttachConfiguration(
            account_name,
            engine,
            None if databricks_compute is None else compute_name(databricks_compute),
            warehouse_id,
            catalog,
        )

    # The ADLA sample creates the target with ``ComputeTarget.create``: the same registration.
    provisioning_configuration = attach_configuration


ANALYTICS_ENGINES = ("duckdb", "databricks_sql")


@dataclass(frozen=True)
class AdlaAttachConfiguration:
    """What attaching the analytics target registers: the engine, and for a Databricks SQL
    warehouse the Databricks target (its Airflow connection) and the warehouse id."""

    account_name: str | None = None
    engine: str = "duckdb"
    databricks_compute: str | None = None
    warehouse_id: str | None = None
    catalog: str | None = None

    def validate(self, name: str) -> None:
        if self.engine not in ANALYTICS_ENGINES:
            raise ComputeTargetException(
                f"compute target '{name}': engine '{self.engine}' is not available "
                f"(available: {', '.join(ANALYTICS_ENGINES)})"
            )
        if self.engine == "databricks_sql":
            missing = [
                what
                for what, value in (
                    ("databricks_compute", self.databricks_compute),
                    ("warehouse_id", self.warehouse_id),
                )
                if not value
            ]
            if missing:
                raise ComputeTargetException(
                    f"compute target '{name}': engine 'databricks_sql' needs "
                    f"{' and '.join(missing)} (the attached DatabricksCompute whose "
                    "connection reaches the workspace, and the SQL warehouse's id)"
                )

    def register(self, workspace: Any, name: str) -> ComputeTarget:
        self.validate(name)
        record = _new_record(name, AdlaCompute.type_name, asdict(self), pool=None)
        return _register(workspace, record, slots=None)


class LocalCompute(ComputeTarget):
    """A process on the Airflow worker (the embedded default)."""

    type_name: ClassVar[str] = "Local"


LOCAL_COMPUTE = LocalCompute(None, LOCAL_NAME)


def compute_name(target: Any) -> str:
    """The name of a compute target given as an object, a name, or None (the local process)."""
    if target is None:
        return LOCAL_NAME
    if isinstance(target, str):
        return target
    return str(getattr(target, "name", target))


def registered_target(name: str, workspace: Any = None) -> dict[str, Any] | None:
    """The record of a registered target (None for ``local`` and unknown names)."""
    from mlpipelines.model.compute_registry import read_record

    if name == LOCAL_NAME:
        return None
    return read_record(name, workspace)


def _new_record(
    name: str, type_name: str, settings: dict[str, Any], pool: str | None
) -> dict[str, Any]:
    if not name or name == LOCAL_NAME:
        raise ComputeTargetException(f"a compute target cannot be named {name!r}")
    return {"name": name, "type": type_name, "settings": settings, "pool": pool,
            "created": time.time()}  # fmt: skip


def _register(
    workspace: Any,
    record: dict[str, Any],
    slots: int | None,
    connection: dict[str, Any] | None = None,
) -> ComputeTarget:
    """Create the Airflow objects (through REST, when the workspace names an Airflow): the
    pool, the connection (its secret goes there only, never into the record); then the record.
    Returns the target."""
    from mlpipelines.model.compute_registry import write_record

    if workspace.airflow_url:
        from mlpipelines.client.compute_admin import create_airflow_objects

        create_airflow_objects(workspace, record, slots, connection)
    write_record(record, workspace)
    return ComputeTarget(workspace, record["name"])


def _record_or_raise(workspace: Any, name: str) -> dict[str, Any]:
    from mlpipelines.model.compute_registry import list_records, read_record

    record = read_record(name, workspace)
    if record is None:
        known = ", ".join([LOCAL_NAME, *(r["name"] for r in list_records(workspace))])
        raise ComputeTargetException(
            # The old SDK's error code leads the message: samples test for it in ``e.message``.
            f"ComputeTargetNotFound: no compute target named '{name}' (registered: {known}); "
            "create one with "
            "ComputeTarget.create(ws, name, AmlCompute.provisioning_configuration(...)) or "
            "ComputeTarget.attach(ws, name, ...)"
        )
    return record
