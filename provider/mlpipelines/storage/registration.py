"""Airflow connection bodies for each datastore kind, shaped like ``POST /api/v2/connections``.

Pure builders: ``Datastore.register_*`` posts what they return; tests and scripts turn the same
body into an ``AIRFLOW_CONN_<NAME>`` value with ``environment_value``. Every body is checked by
parsing it back (``location_from_connection``) so a bad registration fails before it is sent.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.connections import location_from_connection

_CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")


def local_folder_body(name: str, path: str) -> dict[str, Any]:
    """A ``mlpipelines_local`` connection: a folder every worker sees at ``path``."""
    return _body(name, "mlpipelines_local", extra={"path": path})


def azure_blob_body(
    name: str,
    *,
    container: str,
    account_name: str | None = None,
    account_key: str | None = None,
    sas_token: str | None = None,
    connection_string: str | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    """A ``mlpipelines_azure_blob`` connection (one of key, SAS token, connection string)."""
    extra = {
        "container": container,
        "prefix": prefix,
        "sas_token": sas_token,
        "connection_string": connection_string,
        "endpoint": endpoint,
        "protocol": protocol,
    }
    return _body(
        name, "mlpipelines_azure_blob", login=account_name, password=account_key, extra=extra
    )


def azure_file_body(
    name: str,
    *,
    share: str,
    account_name: str,
    account_key: str,
    host: str | None = None,
    port: int | None = None,
    prefix: str | None = None,
    encrypt: bool | None = None,
) -> dict[str, Any]:
    """A ``mlpipelines_azure_file`` connection: an SMB share (Azure Files or any SMB 3 server)."""
    extra = {"share": share, "prefix": prefix, "encrypt": encrypt}
    return _body(
        name,
        "mlpipelines_azure_file",
        host=host,
        port=port,
        login=account_name,
        password=account_key,
        extra=extra,
    )


def s3_body(
    name: str,
    *,
    bucket: str,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    """A ``mlpipelines_s3`` connection (no keys: the machine's AWS credentials are used)."""
    extra = {
        "bucket": bucket,
        "prefix": prefix,
        "endpoint_url": endpoint_url,
        "region_name": region_name,
    }
    return _body(
        name, "mlpipelines_s3", login=access_key_id, password=secret_access_key, extra=extra
    )


def environment_value(body: dict[str, Any]) -> str:
    """The JSON value of ``AIRFLOW_CONN_<NAME>`` for a connection body."""
    fields = {k: body.get(k) for k in ("conn_type", "host", "login", "password", "schema", "port")}
    value: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    value["extra"] = json.loads(body["extra"]) if body.get("extra") else {}
    return json.dumps(value)


def environment_name(name: str) -> str:
    """The environment variable Airflow reads a connection ``name`` from."""
    return "AIRFLOW_CONN_" + name.upper()


def _body(
    name: str,
    conn_type: str,
    *,
    host: str | None = None,
    port: int | None = None,
    login: str | None = None,
    password: str | None = None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    if not _CONN_ID.match(name):
        raise UserErrorException(
            f"datastore name '{name}' cannot be a conn_id (letters, digits, '_', '.', '-')"
        )
    body = {
        "connection_id": name,
        "conn_type": conn_type,
        "host": host,
        "login": login,
        "password": password,
        "schema": None,
        "port": port,
        "extra": json.dumps({k: v for k, v in extra.items() if v is not None}),
    }
    location_from_connection(name, SimpleNamespace(**body))
    return body
