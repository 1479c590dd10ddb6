"""Databricks steps and compute: a one-time run on a Databricks workspace through its Jobs API."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from mlpipelines.errors import ComputeTargetException, UserErrorException
from mlpipelines.model.compute import ComputeTarget
from mlpipelines.model.data import DataInput, DataReference, PipelineData, underlying
from mlpipelines.model.databricks_libraries import (
    EggLibrary,
    JarLibrary,
    MavenLibrary,
    PyPiLibrary,
    RCranLibrary,
    jobs_api_libraries,
)
from mlpipelines.model.steps import Step, warn_ignored_hash_paths
from mlpipelines.records import ArgumentToken, DatabricksSettings, DatabricksTask
from mlpipelines.records.numbers import is_whole

DEFAULT_DATABRICKS_CONN_ID = "databricks_default"
DATABRICKS_HOST_ENV = "DATABRICKS_HOST"
# The old SDK's new-cluster defaults (an old runtime: name a current one for a real workspace).
DEFAULT_SPARK_VERSION = "4.0.x-scala2.11"
DEFAULT_NODE_TYPE = "Standard_D3_v2"
_DATA = (DataReference, PipelineData, DataInput)


@dataclass(frozen=True)
class DatabricksAttachConfiguration:
    """What attaching a Databricks workspace needs: where it is and the token to call it with.

    ``host`` None means: found when attached (``DATABRICKS_HOST``, else the host of an
    Airflow connection already named after the target or ``databricks_default``).
    """

    host: str | None
    access_token: str = field(repr=False)  # a notebook that prints the config shows no token
    resource_group: str | None = None
    workspace_name: str | None = None
    resource_id: str | None = None

    def register(self, workspace: Any, name: str) -> ComputeTarget:
        """A ``databricks`` connection named ``name`` (the token lives only there), and the
        target's record (without the token)."""
        from mlpipelines.model.compute import _new_record, _register

        where = self.host or os.environ.get(DATABRICKS_HOST_ENV) or None
        if where is not None:
            fields = databricks_connection_fields(where, self.access_token)
        else:
            fields = _fields_of_existing_connection(workspace, name, self.access_token)
        connection = {"connection_id": name, **fields}
        record = _new_record(name, "Databricks", {"host": connection["host"]}, pool=None)
        record["conn_id"] = name
        return _register(workspace, record, slots=None, connection=connection)


class DatabricksCompute(ComputeTarget):
    """A Databricks workspace as a compute target; its name is the Airflow connection id."""

    type_name: ClassVar[str] = "Databricks"

    def __init__(self, workspace: Any = None, name: str | None = None) -> None:
        super().__init__(workspace, name, "Databricks")

    @staticmethod
    def attach_configuration(
        resource_group: str | None = None,
        workspace_name: str | None = None,
        access_token: str | None = None,
        host: str | None = None,
        resource_id: str | None = None,
    ) -> DatabricksAttachConfiguration:
        """The configuration ``ComputeTarget.attach`` turns into a ``databricks`` connection.

        ``host`` is the workspace URL (``https://adb-1.azuredatabricks.net``). The old SDK
        found it from ``resource_group`` and ``workspace_name`` in Azure; here, without
        ``host``, it comes from ``DATABRICKS_HOST`` (the Databricks SDK's convention) or an
        Airflow connection that already names the workspace.
        """
        if not access_token:
            raise ComputeTargetException(
                "DatabricksCompute.attach_configuration needs access_token (a personal "
                "access token of the workspace)"
            )
        return DatabricksAttachConfiguration(
            host, access_token, resource_group, workspace_name, resource_id
        )


def databricks_connection_fields(host: str, access_token: str) -> dict[str, Any]:
    """The Airflow connection fields for a workspace URL and token.

    The provider's hook keeps only the hostname of a host given with a scheme, and builds its
    URLs from ``schema`` and ``port``: so scheme and port must go to their own fields.
    """
    given = host.strip()
    parts = urlsplit(given if "://" in given else f"https://{given}")
    if not parts.hostname:
        raise ComputeTargetException(f"Databricks host {host!r} has no host name")
    return {
        "conn_type": "databricks",
        "host": parts.hostname,
        "port": parts.port,
        "schema": parts.scheme or "https",
        "login": "",
        "password": access_token,
    }


def _fields_of_existing_connection(workspace: Any, name: str, token: str) -> dict[str, Any]:
    """Where an Airflow connection named ``name`` (or ``databricks_default``) points, with
    the new token; a clear error naming both ways when there is none."""
    candidates = (
        [name] if name == DEFAULT_DATABRICKS_CONN_ID else [name, DEFAULT_DATABRICKS_CONN_ID]
    )
    if workspace.airflow_url:
        from mlpipelines.client.compute_admin import read_connection

        for conn_id in candidates:
            existing = read_connection(workspace, conn_id)
            if existing and existing.get("host"):
                return {
                    "conn_type": "databricks",
                    "host": existing["host"],
                    "port": existing.get("port"),
                    "schema": existing.get("schema") or "https",
                    "login": "",
                    "password": token,
                }
    raise ComputeTargetException(
        f"Databricks compute '{name}': no workspace URL; set {DATABRICKS_HOST_ENV} (e.g. "
        "https://adb-1234.5.azuredatabricks.net), or create the Airflow connection "
        f"{' or '.join(repr(c) for c in candidates)} with the workspace's host first, "
        "or pass host= to DatabricksCompute.attach_configuration"
    )


def databricks_conn_id(compute_target: Any) -> str:
    """The Airflow connection a step's compute target stands for (its name, else the default)."""
    if compute_target is None:
        return DEFAULT_DATABRICKS_CONN_ID
    if isinstance(compute_target, str):
        return compute_target
    return str(getattr(compute_target, "name", None) or DEFAULT_DATABRICKS_CONN_ID)


class DatabricksStep(Step):
    """A one-time run of a notebook, a Python script or a jar on a Databricks workspace.

    The run uses a new job cluster (``spark_version``, ``node_type`` and ``num_workers`` or
    ``min_workers``/``max_workers``; the first two default to the old SDK's values) or the
    cluster ``existing_cluster_id``, with the ``*_libraries`` installed on it. Each input and
    output is passed to a notebook as a widget named after it (as the old SDK did); data may
    also stand in ``notebook_params``, ``python_script_params`` or ``jar_params``, and is
    passed as a URI.

    ``deferrable`` (not in the old SDK) waits for the run in Airflow's triggerer instead of a
    worker slot; None follows Airflow's ``[operators] default_deferrable``.
    """

    kind: ClassVar[str] = "databricks"

    def __init__(
        self,
        name: str,
        inputs: list[Any] | None = None,
        outputs: list[Any] | None = None,
        existing_cluster_id: str | None = None,
        spark_version: str | None = None,
        node_type: str | None = None,
        num_workers: int | None = None,
        min_workers: int | None = None,
        max_workers: int | None = None,
        spark_env_variables: dict[str, str] | None = None,
        spark_conf: dict[str, str] | None = None,
        notebook_path: str | None = None,
        notebook_params: dict[str, Any] | None = None,
        python_script_path: str | None = None,
        python_script_params: list[Any] | None = None,
        main_class_name: str | None = None,
        jar_params: list[Any] | None = None,
        python_script_name: str | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        run_name: str | None = None,
        timeout_seconds: int | None = None,
        compute_target: Any = None,
        allow_reuse: bool = True,
        version: str | None = None,
        permit_cluster_restart: bool | None = None,
        deferrable: bool | None = None,
        maven_libraries: list[MavenLibrary] | None = None,
        pypi_libraries: list[PyPiLibrary] | None = None,
        egg_libraries: list[EggLibrary] | None = None,
        jar_libraries: list[JarLibrary] | None = None,
        rcran_libraries: list[RCranLibrary] | None = None,
        hash_paths: list[str] | None = None,
        runconfig: Any = None,
    ) -> None:
        super().__init__(
            name=name,
            inputs=inputs,
            outputs=outputs,
            compute_target=compute_target,
            allow_reuse=allow_reuse,
            version=version,
        )
        tasks = {
            "notebook_path": notebook_path,
            "python_script_path": python_script_path,
            "python_script_name": python_script_name,
            "main_class_name": main_class_name,
        }
        given = [k for k, v in tasks.items() if v is not None]
        if len(given) != 1:
            what = " and ".join(given) if given else "none of them"
            raise UserErrorException(
                f"DatabricksStep '{name}': give exactly one of notebook_path, "
                f"python_script_path, python_script_name or main_class_name ({what} given)"
            )
        if python_script_name is None and source_directory is not None:
            raise UserErrorException(
                f"DatabricksStep '{name}': source_directory goes with python_script_name"
            )
        if timeout_seconds is not None and not is_whole(timeout_seconds, 1):
            raise UserErrorException(
                f"DatabricksStep '{name}': timeout_seconds must be a positive integer, "
                f"got {timeout_seconds!r}"
            )
        self.existing_cluster_id = existing_cluster_id
        self.new_cluster = _new_cluster(
            name,
            existing_cluster_id,
            spark_version,
            node_type,
            num_workers,
            min_workers,
            max_workers,
            spark_env_variables,
            spark_conf,
        )
        self.notebook_path = notebook_path
        self.notebook_params = dict(notebook_params or {})
        self.python_script_path = python_script_path
        self.python_script_params = list(python_script_params or [])
        self.main_class_name = main_class_name
        self.jar_params = list(jar_params or [])
        self.python_script_name = python_script_name
        if python_script_name is not None:
            self.script_name = python_script_name
            self.source_directory = (
                None if source_directory is None else os.fspath(source_directory)
            )
        if deferrable is not None and not isinstance(deferrable, bool):
            raise UserErrorException(
                f"DatabricksStep '{name}': deferrable must be True, False or None, "
                f"got {deferrable!r}"
            )
        self.deferrable = deferrable
        self.run_name = run_name
        self.timeout_seconds = timeout_seconds
        self.permit_cluster_restart = permit_cluster_restart
        if runconfig is not None:
            raise UserErrorException(
                f"DatabricksStep '{name}': runconfig is not read for Databricks libraries; "
                "pass them as jar_libraries=, pypi_libraries=, maven_libraries=, "
                "egg_libraries= or rcran_libraries="
            )
        if hash_paths:
            warn_ignored_hash_paths(name)
        self.libraries = jobs_api_libraries(
            name,
            {
                "jar_libraries": jar_libraries,
                "egg_libraries": egg_libraries,
                "pypi_libraries": pypi_libraries,
                "maven_libraries": maven_libraries,
                "rcran_libraries": rcran_libraries,
            },
        )
        self._check_notebook_data()

    @property
    def task_kind(self) -> str:
        """The Jobs API task this step submits."""
        if self.notebook_path is not None:
            return "notebook_task"
        if self.main_class_name is not None:
            return "spark_jar_task"
        return "spark_python_task"

    def _check_notebook_data(self) -> None:
        declared = {id(underlying(i)) for i in self.inputs} | {id(o) for o in self.outputs}
        for key, value in self.notebook_params.items():
            data = underlying(value)
            if isinstance(data, _DATA) and id(data) not in declared:
                raise UserErrorException(
                    f"DatabricksStep '{self.name}': notebook_params['{key}'] is "
                    f"{type(data).__name__} '{data.name}', which is in neither inputs nor outputs"
                )

    @property
    def argument_values(self) -> list[Any]:
        """Script or jar parameters; the planner turns parameters and data into tokens."""
        return self.jar_params if self.main_class_name is not None else self.python_script_params

    @property
    def param_values(self) -> dict[str, Any]:
        """Notebook parameters that are values or PipelineParameters (data goes separately)."""
        return {
            k: v for k, v in self.notebook_params.items() if not isinstance(underlying(v), _DATA)
        }

    def _notebook_data_params(self) -> dict[str, ArgumentToken]:
        """Data notebook widgets: one per input and output, plus data given in notebook_params."""
        names = {id(underlying(i)): ArgumentToken("input", i.name) for i in self.inputs}
        names.update({id(o): ArgumentToken("output", o.name) for o in self.outputs})
        widgets = {token.ref: token for token in names.values()}
        for key, value in self.notebook_params.items():
            data = underlying(value)
            if isinstance(data, _DATA):
                widgets[key] = names[id(data)]
            else:
                widgets.pop(key, None)
        return widgets if self.notebook_path is not None else {}

    def definition_extras(self) -> dict[str, Any]:
        script = self.python_script_name
        task = DatabricksTask(
            kind=self.task_kind,
            notebook_path=self.notebook_path,
            data_params=self._notebook_data_params(),
            python_file=self.python_script_path,
            python_script_name=script.replace("\\", "/") if script is not None else None,
            main_class_name=self.main_class_name,
        )
        return {
            "databricks": DatabricksSettings(
                conn_id=databricks_conn_id(self.compute_target),
                task=task,
                existing_cluster_id=self.existing_cluster_id,
                new_cluster=self.new_cluster,
                run_name=self.run_name,
                timeout_seconds=self.timeout_seconds,
                permit_cluster_restart=self.permit_cluster_restart,
                libraries=self.libraries,
            ),
            # How the task waits, not what the run makes: outside "databricks", which is
            # part of the reuse key.
            "deferrable": self.deferrable,
        }


def _new_cluster(
    step: str,
    existing_cluster_id: str | None,
    spark_version: str | None,
    node_type: str | None,
    num_workers: int | None,
    min_workers: int | None,
    max_workers: int | None,
    spark_env_variables: dict[str, str] | None,
    spark_conf: dict[str, str] | None,
) -> dict[str, Any] | None:
    """The Jobs API ``new_cluster`` block, or None when the step uses an existing cluster."""
    spec_given = [
        k
        for k, v in {
            "spark_version": spark_version,
            "node_type": node_type,
            "num_workers": num_workers,
            "min_workers": min_workers,
            "max_workers": max_workers,
        }.items()
        if v is not None
    ]
    if existing_cluster_id is not None:
        if spec_given:
            raise UserErrorException(
                f"DatabricksStep '{step}': give existing_cluster_id or a new cluster "
                f"({', '.join(spec_given)}), not both"
            )
        return None
    spark_version = spark_version or DEFAULT_SPARK_VERSION
    node_type = node_type or DEFAULT_NODE_TYPE
    autoscale = min_workers is not None or max_workers is not None
    if num_workers is not None and autoscale:
        raise UserErrorException(
            f"DatabricksStep '{step}': give num_workers or min_workers/max_workers, not both"
        )
    cluster: dict[str, Any] = {"spark_version": spark_version, "node_type_id": node_type}
    if autoscale:
        if min_workers is None or max_workers is None or min_workers > max_workers:
            raise UserErrorException(
                f"DatabricksStep '{step}': autoscaling needs min_workers <= max_workers "
                f"(got {min_workers!r} and {max_workers!r})"
            )
        cluster["autoscale"] = {"min_workers": min_workers, "max_workers": max_workers}
    elif num_workers is not None:
        cluster["num_workers"] = num_workers
    else:
        raise UserErrorException(
            f"DatabricksStep '{step}': a new cluster needs num_workers "
            "(or min_workers and max_workers)"
        )
    if spark_env_variables:
        cluster["spark_env_vars"] = dict(spark_env_variables)
    if spark_conf:
        cluster["spark_conf"] = dict(spark_conf)
    return cluster
