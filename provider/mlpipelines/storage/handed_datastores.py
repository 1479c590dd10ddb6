"""Datastores a task hands to its step's script: resolved locations (secrets included) in one
environment variable, so the script opens them without Airflow or Airflow's database.

The task reads its connections (the Task SDK may ask the API server); the script process has
no supervisor and must not touch the metadata database, so it gets the result, never argv or
a file: the environment is private to the process and its children.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import ENV_DATASTORES
from mlpipelines.storage.location import StoreLocation

DOCUMENT_VERSION = 1


def hand_datastores(locations: Iterable[StoreLocation]) -> str:
    """The value of ``MLPIPELINES_DATASTORES`` for these locations (one per datastore)."""
    stores = {
        loc.datastore: {"kind": loc.kind, "root": loc.root, "options": dict(loc.options)}
        for loc in locations
    }
    return json.dumps({"version": DOCUMENT_VERSION, "datastores": stores}, sort_keys=True)


def handed_datastores() -> dict[str, StoreLocation] | None:
    """The datastores this process was handed by its task, by name; None when it was handed
    none (it is not a step's script, and may read Airflow connections itself)."""
    raw = os.environ.get(ENV_DATASTORES)
    if raw is None:
        return None
    return _parsed(raw)


_cache: dict[str, dict[str, StoreLocation]] = {}


def _parsed(raw: str) -> dict[str, StoreLocation]:
    if raw not in _cache:
        _cache.clear()
        _cache[raw] = _locations(raw)
    return _cache[raw]


def _locations(raw: str) -> dict[str, StoreLocation]:
    # The message never quotes the document: it holds secrets.
    try:
        document = json.loads(raw)
        if document.get("version") != DOCUMENT_VERSION:
            raise ValueError(f"version {document.get('version')!r} is not supported")
        stores: dict[str, Any] = document["datastores"]
        return {
            name: StoreLocation(
                datastore=name,
                kind=str(store["kind"]),
                root=str(store["root"]),
                options=tuple(sorted((str(k), v) for k, v in store["options"].items())),
            )
            for name, store in stores.items()
        }
    except UserErrorException:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserErrorException(
            f"environment variable {ENV_DATASTORES} is not a datastores document "
            f"({type(exc).__name__}); it is written by the step's task, do not set it by hand"
        ) from None
