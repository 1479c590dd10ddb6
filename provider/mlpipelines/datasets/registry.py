"""Registered datasets: immutable, numbered versions kept as JSON on the default datastore.

Layout: ``<default datastore>/.mlpipelines/datasets/<name>/<version>.json``, one record per
version, never rewritten. A version is created exclusively, through the package's one
create-once protocol (``storage.json_documents.JsonDocuments.create``): a hard link of a
finished local file, or a conditional write on an object store.
"""

from __future__ import annotations

import json
import posixpath
import random
import re
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER

if TYPE_CHECKING:
    from mlpipelines.storage.deployment import Deployment
    from mlpipelines.storage.location import StoreLocation

REGISTRY = f"{INTERNAL_FOLDER}/datasets"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")
VERSION_FILE = re.compile(r"^(\d+)\.json$")
ATTEMPTS = 50


def registry_store(workspace: Deployment) -> StoreLocation:
    """The datastore that holds the workspace's dataset registry (its default datastore)."""
    from mlpipelines.storage.connections import open_datastore

    return open_datastore(workspace.default_datastore_name, workspace)


def register_dataset(
    workspace: Deployment,
    name: str,
    definition: dict[str, Any],
    description: str | None = None,
    tags: dict[str, str] | None = None,
    create_new_version: bool = False,
) -> dict[str, Any]:
    """Register ``definition`` as ``name``; the record of the version created or reused."""
    return register_on(
        registry_store(workspace), name, definition, description, tags, create_new_version
    )


def register_on(
    store: StoreLocation,
    name: str,
    definition: dict[str, Any],
    description: str | None,
    tags: dict[str, str] | None,
    create_new_version: bool,
) -> dict[str, Any]:
    """Register on ``store``: an unchanged definition reuses the latest version; a changed one
    needs ``create_new_version`` and gets the next number."""
    _check_name(name)
    plain = json.loads(json.dumps(definition))
    for _ in range(ATTEMPTS):
        versions = list_versions(store, name)
        if versions:
            latest = read_version(store, name, versions[-1])
            if latest["definition"] == plain:
                return latest
            if not create_new_version:
                raise UserErrorException(
                    f"dataset '{name}' is registered (version {versions[-1]}) with a different "
                    "definition; pass create_new_version=True to register a new version"
                )
        version = versions[-1] + 1 if versions else 1
        record = {
            "name": name,
            "version": version,
            "id": str(uuid.uuid4()),
            "description": description,
            "tags": dict(tags or {}),
            "registered_at": datetime.now(timezone.utc).isoformat(),
            "definition": plain,
        }
        if _create(store, name, version, record):
            return record
        time.sleep(random.uniform(0.001, 0.02))
    raise UserErrorException(f"could not register dataset '{name}': too many concurrent writers")


def read_registration(
    workspace: Deployment, name: str, version: int | str = "latest"
) -> dict[str, Any]:
    """The record of ``name`` at ``version`` (a number or ``"latest"``)."""
    store = registry_store(workspace)
    versions = list_versions(store, name) if NAME.match(name or "") else []
    if not versions:
        known = ", ".join(list_names(store)) or "none"
        raise UserErrorException(f"no dataset registered as '{name}' (registered: {known})")
    if version in ("latest", None):
        return read_version(store, name, versions[-1])
    number = int(version) if str(version).isdigit() else None
    if number not in versions:
        listed = ", ".join(map(str, versions))
        raise UserErrorException(f"dataset '{name}' has no version {version} (versions: {listed})")
    return read_version(store, name, number)


def find_registration(workspace: Deployment, dataset_id: str) -> dict[str, Any]:
    """The record whose registration id is ``dataset_id``."""
    store = registry_store(workspace)
    for name in list_names(store):
        for version in list_versions(store, name):
            record = read_version(store, name, version)
            if record.get("id") == dataset_id:
                return record
    raise UserErrorException(f"no registered dataset has id '{dataset_id}'")


def dataset_names(workspace: Deployment) -> list[str]:
    """The names of every registered dataset, sorted."""
    return list_names(registry_store(workspace))


def list_names(store: StoreLocation) -> list[str]:
    return sorted(n for n in _children(store, REGISTRY) if list_versions(store, n))


def list_versions(store: StoreLocation, name: str) -> list[int]:
    """The version numbers registered for ``name``, ascending."""
    found = (VERSION_FILE.match(child) for child in _children(store, f"{REGISTRY}/{name}"))
    return sorted(int(m.group(1)) for m in found if m)


def read_version(store: StoreLocation, name: str, version: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(store.fs.cat_file(store.path(_record_path(name, version))))
    return data


def _children(store: StoreLocation, rel: str) -> list[str]:
    # Object-store filesystems cache listings; a registry must see other writers' versions.
    store.fs.invalidate_cache(store.path(rel))
    try:
        entries = store.fs.ls(store.path(rel), detail=False)
    except FileNotFoundError:
        return []
    return [posixpath.basename(str(e).rstrip("/")) for e in entries]


def _record_path(name: str, version: int) -> str:
    return f"{REGISTRY}/{name}/{version}.json"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME.match(name):
        raise UserErrorException(
            f"dataset name {name!r} must start with a letter or digit and hold only letters, "
            "digits, '_', '.', '-'"
        )


def _create(store: StoreLocation, name: str, version: int, record: dict[str, Any]) -> bool:
    """Create a version's record unless it exists; False when another writer won."""
    from mlpipelines.storage.json_documents import JsonDocuments

    return JsonDocuments(store, REGISTRY).create(f"{name}/{version}.json", record, durable=True)
