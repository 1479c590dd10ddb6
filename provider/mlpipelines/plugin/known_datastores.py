"""Which datastore names a run request may point a DataPath at: the default datastores, those
the pipeline's spec names (local folders registered where it was defined), and Airflow
connections. Asked in the API server, before a run exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlpipelines.storage.deployment import DEFAULT_DATASTORES


def datastore_check(spec: dict[str, Any]) -> Callable[[str], bool]:
    """A predicate: is this datastore name known to the pipeline or to Airflow?"""
    named = set(DEFAULT_DATASTORES) | set(_named_in(spec))

    def known(name: str) -> bool:
        return name in named or _is_connection(name)

    return known


def _named_in(value: Any) -> list[str]:
    """Every datastore name anywhere in ``value`` (a spec's JSON)."""
    if isinstance(value, dict):
        found = []
        store = value.get("datastore")
        if isinstance(store, str):  # a DataPath: {"datastore": name, "path"}
            found.append(store)
        elif isinstance(store, dict) and isinstance(store.get("name"), str):  # a DatastoreSpec
            found.append(store["name"])
        for item in value.values():
            found += _named_in(item)
        return found
    if isinstance(value, list):
        return [name for item in value for name in _named_in(item)]
    return []


def _is_connection(name: str) -> bool:
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        Connection.get_connection_from_secrets(name)
    except AirflowNotFoundException:
        return False
    return True
