"""Registered models: a file or folder copied once to the default datastore, and a numbered,
immutable record per version that points to it.

Layout on the datastore: ``.mlpipelines/models/<name>/<version>.json`` (the records, created
once through ``VersionedRecords``) and ``.mlpipelines/model-files/<name>/<upload id>/<file or
folder>`` (the content). The content goes up first, under a fresh id, so writers racing for
the same version number never overwrite each other's files; the record then claims a number.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.location import StoreLocation
from mlpipelines.storage.versioned_records import VersionedRecords

RECORDS_FOLDER = f"{INTERNAL_FOLDER}/models"
FILES_FOLDER = f"{INTERNAL_FOLDER}/model-files"


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model: where its content is and what was said of it."""

    name: str
    version: int
    path: str  # the file or folder, relative to the datastore's root
    datastore: str
    is_folder: bool
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    created_time: str | None = None

    @property
    def id(self) -> str:
        """``name:version``, as Azure ML writes a model's id."""
        return f"{self.name}:{self.version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": 1,
            "name": self.name,
            "version": self.version,
            "id": self.id,
            "path": self.path,
            "datastore": self.datastore,
            "is_folder": self.is_folder,
            "description": self.description,
            "tags": dict(self.tags),
            "properties": dict(self.properties),
            "run_id": self.run_id,
            "created_time": self.created_time,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelVersion:
        return cls(
            data["name"],
            int(data["version"]),
            data["path"],
            data["datastore"],
            bool(data["is_folder"]),
            data.get("description"),
            dict(data.get("tags") or {}),
            dict(data.get("properties") or {}),
            data.get("run_id"),
            data.get("created_time"),
        )


def model_records(store: StoreLocation) -> VersionedRecords:
    return VersionedRecords(store, RECORDS_FOLDER, "model")


def register_model(
    store: StoreLocation,
    name: str,
    model_path: str | os.PathLike[str],
    description: str | None = None,
    tags: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> ModelVersion:
    """Copy the local file or folder ``model_path`` to ``store`` and register it as the next
    version of ``name``."""
    from mlpipelines.storage.transfer import copy

    records = model_records(store)
    records.check_name(name)
    source = Path(model_path).expanduser()
    if not source.exists():
        raise UserErrorException(f"model '{name}': model_path '{model_path}' does not exist")
    if source.is_dir() and not any(p.is_file() for p in source.rglob("*")):
        raise UserErrorException(f"model '{name}': folder '{model_path}' holds no files")
    source = source.resolve()
    target = f"{FILES_FOLDER}/{name}/{uuid.uuid4().hex}/{source.name}"
    copy(StoreLocation.local(source.parent, datastore="local"), source.name, store, target)
    created = datetime.now(timezone.utc).isoformat()

    def version_record(version: int) -> dict[str, Any]:
        return ModelVersion(
            name,
            version,
            target,
            store.datastore,
            source.is_dir(),
            description,
            _strings(tags, "tags"),
            _strings(properties, "properties"),
            run_id,
            created,
        ).to_json()

    return ModelVersion.from_json(records.create_next(name, version_record))


def read_model(store: StoreLocation, name: str, version: int | str | None = None) -> ModelVersion:
    """The record of ``name`` at ``version`` (None: the latest)."""
    records = model_records(store)
    records.check_name(name)
    return ModelVersion.from_json(records.read(name, version))


def list_models(store: StoreLocation, name: str | None = None) -> list[ModelVersion]:
    """Every version of every model (or of ``name``), by name then version."""
    records = model_records(store)
    names = [name] if name is not None else records.names()
    return [ModelVersion.from_json(records.read(n, v)) for n in names for v in records.versions(n)]


def download_model(
    store: StoreLocation, model: ModelVersion, target_dir: str | Path, exist_ok: bool = False
) -> Path:
    """Copy a version's file or folder into ``target_dir``; the local path of the copy."""
    from mlpipelines.storage.transfer import copy

    file_name = model.path.rsplit("/", 1)[-1]
    local = Path(target_dir).expanduser() / file_name
    if local.exists() and not exist_ok:
        raise UserErrorException(
            f"model {model.id}: {local} exists; pass exist_ok=True to overwrite it"
        )
    local.parent.mkdir(parents=True, exist_ok=True)
    copy(store, model.path, StoreLocation.local(local.parent, datastore="local"), file_name, True)
    return local


def _strings(values: dict[str, Any] | None, what: str) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UserErrorException(f"model {what} must be a dict of strings, not {values!r}")
    return {str(k): str(v) for k, v in values.items()}
