"""The control store: where a deployment keeps what clients submit and publish (pipeline
specs, published pipelines, endpoints, schedules, drafts, experiments, modules, compute
targets), as small JSON documents under ``.mlpipelines/<collection>/`` of its specs datastore.

One interface, three places behind it: a local folder (the embedded default), a remote
datastore (Azure Blob or S3: every Airflow component reads it, no shared disk), and, for a
client that has only the Airflow URL and a token, the plugin's REST API
(``client/rest_control_store.py``), which stores into one of the first two on the server.
Paths are relative to ``.mlpipelines/`` and always start with a known collection.

An Airflow process reads a remote store through ``CachedControlStore``: every read bounded
by ``MLPIPELINES_SPECS_SYNC_TIMEOUT`` seconds and kept under the Airflow home, so a DAG file
that looks up a compute target or a module never waits on the network longer than that.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mlpipelines._json_files import write_json_atomic
from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.control_mirror import bounded
from mlpipelines.storage.json_documents import JsonDocuments
from mlpipelines.storage.location import StoreLocation

if TYPE_CHECKING:
    from mlpipelines.storage.deployment import Deployment

COLLECTIONS = (
    "specs",
    "specs-by-digest",
    "published",
    "endpoints",
    "schedules",
    "experiments",
    "drafts",
    "modules",
    "compute",
)
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+\-]{0,254}$")
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
LISTING_FILE = ".listing"  # not *.json: never taken for a document
log = logging.getLogger(__name__)


def checked_path(relative: Any, document: bool = True) -> str:
    """``relative`` if it names a document (``<collection>/.../<name>.json``) or, with
    ``document=False``, a folder of the control store; else a UserErrorException."""
    if not isinstance(relative, str):
        raise UserErrorException(f"control-store path {relative!r} must be a string")
    parts = relative.strip("/").split("/")
    if parts[0] not in COLLECTIONS:
        raise UserErrorException(
            f"control-store path '{relative}' must start with one of {', '.join(COLLECTIONS)}"
        )
    if len(parts) > 3 or not all(_SEGMENT.match(p) for p in parts[1:]):
        raise UserErrorException(
            f"control-store path '{relative}' must be <collection>[/<name>]/<name>, each name "
            "starting with a letter or digit and holding only letters, digits and _.:+-"
        )
    if document and (len(parts) < 2 or not parts[-1].endswith(".json")):
        raise UserErrorException(f"control-store document '{relative}' must end in .json")
    return "/".join(parts)


class ControlStore(Protocol):
    """What every place behind the control store offers; paths as ``checked_path`` takes."""

    def read(self, relative: str) -> Any:
        """The document's JSON; FileNotFoundError when there is none."""

    def write(self, relative: str, data: Any) -> None:
        """Replace the document whole (readers see the old one or the new one)."""

    def create(self, relative: str, data: Any) -> bool:
        """Create the document once; False when it exists already."""

    def delete(self, relative: str) -> None:
        """Remove the document if it is there."""

    def children(self, folder: str) -> list[str]:
        """The names directly under ``folder`` (documents with their ``.json``), sorted."""

    def read_all(self, folder: str) -> list[Any]:
        """Every document directly under ``folder``, by name."""


class DatastoreControlStore:
    """The control store on a datastore (a local folder, Azure Blob or S3)."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.documents = JsonDocuments(location, INTERNAL_FOLDER)

    @property
    def is_local(self) -> bool:
        return self.location.is_local

    def read(self, relative: str) -> Any:
        return self.documents.read(checked_path(relative))

    def exists(self, relative: str) -> bool:
        return self.documents.exists(checked_path(relative))

    def write(self, relative: str, data: Any) -> None:
        self.documents.write(checked_path(relative), data)

    def create(self, relative: str, data: Any) -> bool:
        return self.documents.create(checked_path(relative), data, durable=True)

    def delete(self, relative: str) -> None:
        self.documents.delete(checked_path(relative))

    def children(self, folder: str) -> list[str]:
        path = self.documents.path(checked_path(folder, document=False))
        if self.is_local:
            try:
                names = os.listdir(path)
            except (FileNotFoundError, NotADirectoryError):
                return []
            return sorted(n for n in names if not n.startswith("."))
        fs = self.location.fs
        fs.invalidate_cache(path)  # object stores cache listings; other writers matter here
        try:
            entries = fs.ls(path, detail=False)
        except FileNotFoundError:
            return []
        found = (posixpath.basename(str(e).rstrip("/")) for e in entries)
        return sorted(n for n in found if n and not n.startswith("."))

    def read_all(self, folder: str) -> list[Any]:
        found = []
        for name in self.children(folder):
            if name.endswith(".json"):
                try:
                    found.append(self.read(f"{folder.strip('/')}/{name}"))
                except (FileNotFoundError, ValueError):
                    continue  # removed since the listing, or being replaced on a local disk
        return found

    def __repr__(self) -> str:
        return f"DatastoreControlStore({self.location!r})"


class CachedControlStore:
    """``ControlStore`` over a remote ``DatastoreControlStore``, reads bounded and kept."""

    def __init__(self, store: DatastoreControlStore, folder: Path) -> None:
        self.store = store
        self.folder = folder

    def read(self, relative: str) -> Any:
        relative = checked_path(relative)
        kept = self.folder / relative
        try:
            data = bounded(lambda: self.store.read(relative), f"reading {relative}")
        except FileNotFoundError:
            kept.unlink(missing_ok=True)
            raise
        except (ValueError, PermissionError):
            raise
        except Exception as exc:
            return self._kept(kept, relative, exc)
        write_json_atomic(kept, data)
        return data

    def write(self, relative: str, data: Any) -> None:
        self.store.write(relative, data)
        write_json_atomic(self.folder / checked_path(relative), data)

    def create(self, relative: str, data: Any) -> bool:
        created = self.store.create(relative, data)
        if created:
            write_json_atomic(self.folder / checked_path(relative), data)
        return created

    def delete(self, relative: str) -> None:
        self.store.delete(relative)
        (self.folder / checked_path(relative)).unlink(missing_ok=True)

    def children(self, folder: str) -> list[str]:
        folder = checked_path(folder, document=False)
        kept = self.folder / folder / LISTING_FILE
        try:
            names = bounded(lambda: self.store.children(folder), f"listing {folder}")
        except Exception as exc:
            listed: list[str] = self._kept(kept, folder, exc)
            return listed
        write_json_atomic(kept, names)
        return names

    def read_all(self, folder: str) -> list[Any]:
        folder = checked_path(folder, document=False)
        found = []
        for name in self.children(folder):
            if name.endswith(".json"):
                try:
                    found.append(self.read(f"{folder}/{name}"))
                except (FileNotFoundError, ValueError):
                    continue
        return found

    def _kept(self, kept: Path, what: str, exc: Exception) -> Any:
        """The kept copy of ``what``, after the store failed with ``exc``; else ``exc``."""
        try:
            data = json.loads(kept.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise exc from None
        log.warning(
            "%s; answering %s from the copy kept in %s",
            self.store.location.scrub(f"{type(exc).__name__}: {exc}"),
            what,
            self.folder,
        )
        return data

    def __repr__(self) -> str:
        return f"CachedControlStore({self.store!r})"


def control_store(deployment: Deployment | None = None) -> ControlStore:
    """The control store of ``deployment`` (default: the one this process runs in) as this
    process reaches it: over REST for a remote client, else on the specs datastore."""
    from mlpipelines.storage.deployment import Deployment

    deployment = deployment or Deployment.current()
    if deployment.remote_control_store is not None:
        return deployment.remote_control_store
    name = deployment.specs_datastore()
    if deployment.datastore_spec(name).is_local:
        return DatastoreControlStore(StoreLocation.local(deployment.datastore_root(name), name))
    from mlpipelines.storage.datastores import location_of
    from mlpipelines.storage.deployment import airflow_home

    # Opened once per process (connection lookup and filesystem): a DAG file looks a compute
    # target up once per step, and every lookup comes here first.
    remote = DatastoreControlStore(location_of(deployment.datastore_spec(name)))
    return CachedControlStore(remote, airflow_home() / "mlpipelines" / "control-cache" / name)
