"""Airflow connections read through the Task SDK: the one place in ``storage`` that imports
Airflow (lazily), for tasks, clients and DAG files; a step's script never loads it."""

from __future__ import annotations

import os
import sys
from typing import Any

from mlpipelines.errors import UserErrorException


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


def _airflow_configured() -> bool:
    """Whether this process could have connections other than environment variables."""
    from mlpipelines.storage.deployment import airflow_home

    return (
        bool(os.environ.get("AIRFLOW__SECRETS__BACKEND"))
        or bool(os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"))
        or (airflow_home() / "airflow.cfg").is_file()
    )
