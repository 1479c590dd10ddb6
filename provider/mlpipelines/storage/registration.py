"""Airflow connection bodies for datastores, shaped like ``POST /api/v2/connections``.

Pure builders: ``Datastore.register_*`` posts what ``registration_body`` returns; tests and
scripts turn the same body into an ``AIRFLOW_CONN_<NAME>`` value with ``environment_value``.
Every body is checked by parsing it back (``location_from_connection``) so a bad registration
fails before it is sent.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from mlpipelines.datastore_kinds import datastore_kind
from mlpipelines.storage.connections import location_from_connection
from mlpipelines.storage.deployment import connection_variable


def registration_body(kind: str, name: str, **settings: Any) -> dict[str, Any]:
    """The connection of datastore ``name`` of ``kind`` (``local``, ``azure_blob``, ...).

    ``settings`` are the kind's registration keywords (e.g. ``account_name``, which becomes
    the login) and extra keys (e.g. ``container``); ``None`` values are left out.
    """
    declared = datastore_kind(kind)
    body = declared.body(name, **settings)
    if declared.holds_files:
        location_from_connection(name, SimpleNamespace(**body))
    return body


def environment_value(body: dict[str, Any]) -> str:
    """The JSON value of ``AIRFLOW_CONN_<NAME>`` for a connection body."""
    fields = {k: body.get(k) for k in ("conn_type", "host", "login", "password", "schema", "port")}
    value: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    value["extra"] = json.loads(body["extra"]) if body.get("extra") else {}
    return json.dumps(value)


def environment_name(name: str) -> str:
    """The environment variable Airflow reads a connection ``name`` from."""
    return connection_variable(name)
