"""Airflow connections as datastores: the four connection types, parsed strictly.

A datastore's conn_id is the datastore's name. Fields per connection type:

- ``mlpipelines_local``: extra ``path`` (an absolute folder on the workers).
- ``mlpipelines_azure_blob``: login = storage account name; password = account key, or extra
  ``sas_token``, or extra ``connection_string`` (exactly one); extra ``container``, optional
  ``prefix``, ``endpoint`` (blob endpoint URL, e.g. Azurite's) and ``protocol``.
- ``mlpipelines_azure_file``: host (default ``<account>.file.core.windows.net``), port (445),
  login = account name, password = account key; extra ``share``, optional ``prefix``,
  ``encrypt``.
- ``mlpipelines_s3``: login = access key id, password = secret access key (both or neither);
  extra ``bucket``, optional ``prefix``, ``endpoint_url``, ``region_name``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.datastore import clean_relative_path
from mlpipelines.storage.location import StoreLocation

KIND_OF_CONN_TYPE = {
    "mlpipelines_local": "local",
    "mlpipelines_azure_blob": "azure_blob",
    "mlpipelines_azure_file": "azure_file",
    "mlpipelines_s3": "s3",
}
CONN_TYPES = tuple(KIND_OF_CONN_TYPE)
CONN_TYPE_OF_KIND = {kind: conn_type for conn_type, kind in KIND_OF_CONN_TYPE.items()}

EXTRA_KEYS = {
    "mlpipelines_local": {"path"},
    "mlpipelines_azure_blob": {
        "container",
        "prefix",
        "sas_token",
        "connection_string",
        "endpoint",
        "protocol",
    },
    "mlpipelines_azure_file": {"share", "prefix", "encrypt"},
    "mlpipelines_s3": {"bucket", "prefix", "endpoint_url", "region_name"},
}
# The connection's own fields each type uses; any other field that is set is an error.
USED_FIELDS = {
    "mlpipelines_local": set(),
    "mlpipelines_azure_blob": {"login", "password"},
    "mlpipelines_azure_file": {"host", "port", "login", "password"},
    "mlpipelines_s3": {"login", "password"},
}
_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")


def read_connection(name: str) -> Any | None:
    """The Airflow connection ``name``, or None when no secrets backend knows it.

    Goes through ``airflow.sdk.BaseHook.get_connection``: inside a running task it asks the
    supervisor (API server, secrets backends); in a plain process it reads the configured
    backends, among them ``AIRFLOW_CONN_<NAME>`` environment variables (JSON or URI form).
    Airflow is imported only here, when a connection is looked up.
    """
    # Importing Airflow costs seconds: skip it where no connection can exist.
    env = "AIRFLOW_CONN_" + name.upper()
    if "airflow.sdk" not in sys.modules and env not in os.environ and not _airflow_configured():
        return None
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(name)
    except AirflowNotFoundException:
        return None
    except Exception as exc:
        raise UserErrorException(
            f"datastore '{name}': reading its Airflow connection failed: {type(exc).__name__}"
        ) from None


def location_from_connection(name: str, conn: Any) -> StoreLocation:
    """The location an Airflow connection (or anything with its fields) describes."""
    conn_type = (getattr(conn, "conn_type", None) or "").replace("-", "_")
    if conn_type not in KIND_OF_CONN_TYPE:
        raise UserErrorException(
            f"datastore '{name}': connection type '{conn_type}' is not a datastore type "
            f"(use one of {', '.join(CONN_TYPES)})"
        )
    fields = {f: _blank_to_none(getattr(conn, f, None)) for f in ("host", "login", "password")}
    fields["schema"] = _blank_to_none(getattr(conn, "schema", None))
    fields["port"] = getattr(conn, "port", None) or None
    used = USED_FIELDS[conn_type]
    unused = sorted(f for f, v in fields.items() if v is not None and f not in used)
    if unused:
        raise UserErrorException(
            f"datastore '{name}': field(s) {', '.join(unused)} are not used by {conn_type} "
            "connections; leave them empty"
        )
    extra = _extra(name, conn, conn_type)
    kind = KIND_OF_CONN_TYPE[conn_type]
    return _BUILDERS[kind](name, fields, extra)


def _local(name: str, fields: dict[str, Any], extra: dict[str, Any]) -> StoreLocation:
    path = _required(name, extra, "path", "extra 'path' (the folder)")
    if not os.path.isabs(os.path.expanduser(path)):
        raise UserErrorException(f"datastore '{name}': extra 'path' must be absolute, got '{path}'")
    return StoreLocation.local(path, datastore=name)


def _azure_blob(name: str, fields: dict[str, Any], extra: dict[str, Any]) -> StoreLocation:
    container = _required(name, extra, "container", "extra 'container'")
    if not _CONTAINER.match(container):
        raise UserErrorException(
            f"datastore '{name}': container '{container}' is not a valid name "
            "(3-63 lowercase letters, digits and single hyphens)"
        )
    credentials = [
        k for k, v in (("password (account key)", fields["password"]),
                       ("extra 'sas_token'", extra.get("sas_token")),
                       ("extra 'connection_string'", extra.get("connection_string"))) if v
    ]  # fmt: skip
    if len(credentials) != 1:
        found = f" (found {' and '.join(credentials)})" if credentials else ""
        raise UserErrorException(
            f"datastore '{name}': give exactly one of password (account key), extra "
            f"'sas_token' or extra 'connection_string'{found}"
        )
    if not extra.get("connection_string") and not fields["login"]:
        raise UserErrorException(f"datastore '{name}': login (the storage account name) is empty")
    protocol = extra.get("protocol")
    if protocol not in (None, "http", "https"):
        raise UserErrorException(f"datastore '{name}': protocol must be http or https")
    options = {
        "account_name": fields["login"],
        "account_key": fields["password"],
        "sas_token": extra.get("sas_token"),
        "connection_string": extra.get("connection_string"),
        "endpoint": extra.get("endpoint"),
        "protocol": protocol,
    }
    return _remote(name, "azure_blob", container, extra, options)


def _azure_file(name: str, fields: dict[str, Any], extra: dict[str, Any]) -> StoreLocation:
    share = _required(name, extra, "share", "extra 'share'")
    account = fields["login"]
    if not account or not fields["password"]:
        raise UserErrorException(
            f"datastore '{name}': login (account name) and password (account key) are required"
        )
    encrypt = extra.get("encrypt")
    if isinstance(encrypt, str):
        encrypt = encrypt.strip().lower() in ("1", "true", "yes")
    options = {
        "host": fields["host"] or f"{account}.file.core.windows.net",
        "port": int(fields["port"] or 445),
        "username": account,
        "password": fields["password"],
        "encrypt": encrypt,
    }
    return _remote(name, "azure_file", "/" + share.strip("/"), extra, options)


def _s3(name: str, fields: dict[str, Any], extra: dict[str, Any]) -> StoreLocation:
    bucket = _required(name, extra, "bucket", "extra 'bucket'")
    if bool(fields["login"]) != bool(fields["password"]):
        raise UserErrorException(
            f"datastore '{name}': give both login (access key id) and password (secret "
            "access key), or neither to use the machine's AWS credentials"
        )
    options = {
        "key": fields["login"],
        "secret": fields["password"],
        "endpoint_url": extra.get("endpoint_url"),
        "region_name": extra.get("region_name"),
    }
    return _remote(name, "s3", bucket.strip("/"), extra, options)


_BUILDERS = {"local": _local, "azure_blob": _azure_blob, "azure_file": _azure_file, "s3": _s3}


def _remote(
    name: str, kind: str, top: str, extra: dict[str, Any], options: dict[str, Any]
) -> StoreLocation:
    try:
        prefix = clean_relative_path(extra.get("prefix"), "prefix")
    except UserErrorException as exc:
        raise UserErrorException(f"datastore '{name}': {exc}") from None
    root = f"{top}/{prefix}" if prefix else top
    opts = tuple(sorted((k, v) for k, v in options.items() if v is not None))
    return StoreLocation(datastore=name, kind=kind, root=root, options=opts)


def _extra(name: str, conn: Any, conn_type: str) -> dict[str, Any]:
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
    prefix = f"extra__{conn_type}__"
    extra = {(k[len(prefix) :] if k.startswith(prefix) else k): v for k, v in extra.items()}
    extra = {k: _blank_to_none(v) for k, v in extra.items()}
    known = EXTRA_KEYS[conn_type]
    unknown = sorted(k for k, v in extra.items() if k not in known and v is not None)
    if unknown:
        raise UserErrorException(
            f"datastore '{name}': unknown extra key(s) {', '.join(unknown)} for {conn_type} "
            f"(known: {', '.join(sorted(EXTRA_KEYS[conn_type]))})"
        )
    return {k: v for k, v in extra.items() if v is not None}


def _required(name: str, extra: dict[str, Any], key: str, what: str) -> str:
    value = extra.get(key)
    if not value or not isinstance(value, str):
        raise UserErrorException(f"datastore '{name}': {what} is required")
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _airflow_configured() -> bool:
    """Whether this process could have connections other than environment variables."""
    from mlpipelines.model.workspace import airflow_home

    return (
        bool(os.environ.get("AIRFLOW__SECRETS__BACKEND"))
        or bool(os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"))
        or (airflow_home() / "airflow.cfg").is_file()
    )
