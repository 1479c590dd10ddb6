"""Named, numbered, immutable records under one folder of a datastore (registered models and
environments): ``<folder>/<name>/<version>.json``, versions 1, 2, ... per name.

A version is created through the package's one create-once protocol
(``JsonDocuments.create``), so two writers never get the same number and no record is ever
rewritten.
"""

from __future__ import annotations

import json
import posixpath
import random
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.json_documents import JsonDocuments
from mlpipelines.storage.location import StoreLocation

if TYPE_CHECKING:
    from mlpipelines.storage.deployment import Deployment

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")
VERSION_FILE = re.compile(r"^(\d+)\.json$")
ATTEMPTS = 50


def default_store(deployment: Deployment) -> StoreLocation:
    """The deployment's default datastore opened for I/O. A local folder is final, as a task
    sees it (``storage.datastores.location_of``): a step's script then never looks up an
    Airflow connection, and so never imports Airflow."""
    from mlpipelines.storage.connections import open_datastore

    spec = deployment.datastore_spec(deployment.default_datastore_name)
    if spec.is_local:
        return StoreLocation.local(deployment.datastore_root(spec.name), datastore=spec.name)
    return open_datastore(spec.name, deployment)


class VersionedRecords:
    """The records of one kind (``what``, e.g. "model") under ``folder`` of ``store``."""

    def __init__(self, store: StoreLocation, folder: str, what: str) -> None:
        self.store = store
        self.folder = folder.strip("/")
        self.what = what

    def check_name(self, name: Any) -> str:
        """``name`` if it can name a record; else a UserErrorException saying why not."""
        if not isinstance(name, str) or not NAME.match(name):
            raise UserErrorException(
                f"{self.what} name {name!r} must start with a letter or digit and hold only "
                "letters, digits, '_', '.', '-' (at most 255 characters)"
            )
        return name

    def names(self) -> list[str]:
        """Every name with at least one version, sorted."""
        return sorted(n for n in self._children(self.folder) if self.versions(n))

    def versions(self, name: str) -> list[int]:
        """The version numbers of ``name``, ascending (none for a name that cannot exist)."""
        if not isinstance(name, str) or not NAME.match(name):
            return []
        found = (VERSION_FILE.match(c) for c in self._children(f"{self.folder}/{name}"))
        return sorted(int(m.group(1)) for m in found if m)

    def read(self, name: str, version: int | str | None = None) -> dict[str, Any]:
        """The record of ``name`` at ``version`` (None or "latest": the newest)."""
        versions = self.versions(name)
        if not versions:
            known = ", ".join(self.names()) or "none"
            raise UserErrorException(f"no {self.what} registered as '{name}' (registered: {known})")
        if version in (None, "latest"):
            number: int | None = versions[-1]
        else:
            number = int(version) if str(version).isdigit() else None
        if number not in versions:
            listed = ", ".join(map(str, versions))
            raise UserErrorException(
                f"{self.what} '{name}' has no version {version} (versions: {listed})"
            )
        path = self.store.path(f"{self.folder}/{name}/{number}.json")
        data: dict[str, Any] = json.loads(self.store.fs.cat_file(path))
        return data

    def create_next(self, name: str, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Create the next version of ``name`` holding ``make(version)``; its record."""
        self.check_name(name)
        documents = JsonDocuments(self.store, self.folder)
        for _ in range(ATTEMPTS):
            versions = self.versions(name)
            version = versions[-1] + 1 if versions else 1
            record = make(version)
            if documents.create(f"{name}/{version}.json", record, durable=True):
                return record
            time.sleep(random.uniform(0.001, 0.02))
        raise UserErrorException(
            f"could not register {self.what} '{name}': too many concurrent writers"
        )

    def _children(self, rel: str) -> list[str]:
        # Object-store filesystems cache listings; a registry must see other writers' versions.
        self.store.fs.invalidate_cache(self.store.path(rel))
        try:
            entries = self.store.fs.ls(self.store.path(rel), detail=False)
        except FileNotFoundError:
            return []
        return [posixpath.basename(str(e).rstrip("/")) for e in entries]
