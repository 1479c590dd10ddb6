"""Airflow connections as datastores: a connection's type names its datastore kind, whose
fields and extra keys are parsed strictly (``mlpipelines.datastore_kinds`` says what each
kind takes).

A step's script imports this module and must never import Airflow: Airflow is reached only
through ``airflow_connection`` (loaded by name, see there), and never in a process its task
handed datastores to (``storage.handed_datastores``).
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from mlpipelines.datastore_kinds import (
    DatastoreKind,
    LocalFolderKind,
    UnknownDatastoreKind,
    conn_types,
    kind_of_conn_type,
)
from mlpipelines.errors import UserErrorException
from mlpipelines.records.paths import clean_relative_path
from mlpipelines.storage.handed_datastores import handed_datastores
from mlpipelines.storage.location import StoreLocation


def location_from_connection(name: str, conn: Any) -> StoreLocation:
    """The location an Airflow connection (or anything with its fields) describes."""
    conn_type = (getattr(conn, "conn_type", None) or "").replace("-", "_")
    try:
        kind = kind_of_conn_type(conn_type)
    except UnknownDatastoreKind as exc:
        raise UserErrorException(f"datastore '{name}': {exc}") from None
    fields = {f: _blank_to_none(getattr(conn, f, None)) for f in ("host", "login", "password")}
    fields["schema"] = _blank_to_none(getattr(conn, "schema", None))
    fields["port"] = getattr(conn, "port", None) or None
    used = kind.used_fields()
    unused = sorted(f for f, v in fields.items() if v is not None and f not in used)
    if unused:
        raise UserErrorException(
            f"datastore '{name}': field(s) {', '.join(unused)} are not used by {conn_type} "
            "connections; leave them empty"
        )
    extra = _extra(name, conn, kind)
    top, options = kind.top_and_options(name, fields, extra)
    try:
        prefix = clean_relative_path(extra.get("prefix"), "prefix")
    except UserErrorException as exc:
        raise UserErrorException(f"datastore '{name}': {exc}") from None
    root = f"{top}/{prefix}" if prefix else top
    opts = tuple(sorted((k, v) for k, v in options.items() if v is not None))
    return StoreLocation(datastore=name, kind=kind.name, root=root, options=opts)


def _extra(name: str, conn: Any, kind: type[DatastoreKind]) -> dict[str, Any]:
    raw = getattr(conn, "extra", None)
    if isinstance(raw, dict):
        extra = dict(raw)
    elif raw:
        try:
            extra = json.loads(raw)
        except json.JSONDecodeError:
            raise UserErrorException(f"datastore '{name}': connection extra is not JSON") from None
    else:
        extra = {}
    if not isinstance(extra, dict):
        raise UserErrorException(f"datastore '{name}': connection extra must be a JSON object")
    prefix = f"extra__{kind.conn_type}__"
    extra = {(k[len(prefix) :] if k.startswith(prefix) else k): v for k, v in extra.items()}
    extra = {k: _blank_to_none(v) for k, v in extra.items()}
    unknown = sorted(k for k, v in extra.items() if k not in kind.extra_keys and v is not None)
    if unknown:
        raise UserErrorException(
            f"datastore '{name}': unknown extra key(s) {', '.join(unknown)} for "
            f"{kind.conn_type} (known: {', '.join(sorted(kind.extra_keys))})"
        )
    return {k: v for k, v in extra.items() if v is not None}


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def open_datastore(name: str, workspace: Any = None) -> StoreLocation:
    """Open the datastore ``name`` of ``workspace`` (default: the one this process runs in).

    Looked up in order: what the task handed this process (a step's script: only that, or
    a datastore it registered itself); a local folder registered in the workspace; the Airflow
    connection whose conn_id is ``name``; for the default datastores,
    ``<AIRFLOW_HOME>/mlpipelines/<name>``.
    """
    from mlpipelines.storage.deployment import Deployment, local_datastore_root

    handed = handed_datastores()
    if handed is not None and name in handed:
        return handed[name]
    ws = workspace or Deployment.current()
    spec = ws.datastore_specs.get(name)
    if spec is not None and spec.kind == LocalFolderKind.name and spec.path:
        return StoreLocation(
            datastore=name, kind=LocalFolderKind.name, root=str(local_datastore_root(spec))
        )
    if handed is not None:
        return _registered_in_script(name, ws)
    conn = airflow_connection(name)
    if conn is not None:
        return location_from_connection(name, conn)
    if spec is not None and spec.kind == LocalFolderKind.name:
        root = local_datastore_root(spec, ws.home)
        return StoreLocation(datastore=name, kind=LocalFolderKind.name, root=str(root))
    env = "AIRFLOW_CONN_" + name.upper()  # what Airflow reads: the conn_id, upper-cased
    raise UserErrorException(
        f"no datastore named '{name}': it is neither a local folder registered in workspace "
        f"'{ws.name}' nor an Airflow connection with conn_id '{name}'. Register it with "
        f"Datastore.register_local_folder(ws, '{name}', path), or create an Airflow connection "
        f"'{name}' of type {', '.join(conn_types())} (UI, `airflow connections add`, or the "
        f"environment variable {env})"
    )


def _registered_in_script(name: str, ws: Any) -> StoreLocation:
    """A datastore a step's script registered itself; any other was not handed to it."""
    from types import SimpleNamespace

    body = ws.registered_connections.get(name)
    if body is not None:
        return location_from_connection(name, SimpleNamespace(**body))
    raise UserErrorException(
        f"datastore '{name}' was not handed to this step's script: a script opens the "
        "datastores its step names (inputs, outputs, datasets' sources and the default "
        f"datastores), never Airflow connections itself; name '{name}' in the step's "
        "inputs or outputs"
    )


def airflow_connection(name: str) -> Any | None:
    """The Airflow connection ``name`` (``storage.airflow_connections.read_connection``).

    Loaded by name on purpose: the modules a step's script imports (this one among them)
    carry no import of Airflow, lazy or not, which import-linter checks; only a task, a
    client or a DAG file gets here, since a script is handed its datastores.
    """
    module = importlib.import_module("mlpipelines.storage.airflow_connections")
    return module.read_connection(name)
