"""A local copy of one control-store collection kept on a remote specs datastore, for readers
that must not wait on the network: the loader DAG file parsing on a DAG processor or a worker.

Each refresh lists the collection once and fetches only documents whose etag (else size and
modification time) changed; it is bounded by ``MLPIPELINES_SPECS_SYNC_TIMEOUT`` seconds
(default 10), after which the reader goes on with the copy it has and a warning says so.
Files are replaced atomically, so a reader sees a whole old document or a whole new one.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mlpipelines._json_files import write_json_atomic
from mlpipelines._naming import path_safe
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.location import StoreLocation

log = logging.getLogger(__name__)
T = TypeVar("T")
INDEX_FILE = ".mirror-index"  # not *.json: readers glob the documents
DEFAULT_TIMEOUT_SECONDS = 10.0


def mirror_folder(home: Path, datastore: str, collection: str) -> Path:
    """Where the copy of ``collection`` of ``datastore`` lives under an Airflow home."""
    return home / "mlpipelines" / "control-mirror" / path_safe(datastore) / collection


class StoreTimeout(TimeoutError):
    """The datastore did not answer within ``MLPIPELINES_SPECS_SYNC_TIMEOUT`` seconds."""


def bounded(call: Callable[[], T], what: str) -> T:
    """``call()``, given at most the time bound; StoreTimeout after it (the call goes on in a
    daemon thread, whose result is dropped)."""
    timeout = _timeout()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name=f"mlpipelines-{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise StoreTimeout(f"{what} did not answer within {timeout:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def refresh_mirror(location: StoreLocation, collection: str, folder: Path) -> bool:
    """Bring ``folder`` up to date with ``collection`` on ``location`` within the time bound;
    False when the bound passed or the datastore failed (``folder`` then keeps what it had)."""
    try:
        bounded(
            lambda: _sync(location, collection, folder), f"the {collection} on {location.uri()}"
        )
    except Exception as exc:  # the reader goes on with its copy
        log.warning(
            "%s; using the copy kept in %s", location.scrub(f"{type(exc).__name__}: {exc}"), folder
        )
        return False
    return True


def _sync(location: StoreLocation, collection: str, folder: Path) -> int:
    """Fetch changed documents, drop removed ones; how many files changed."""
    fs = location.fs
    remote = location.path(f"{INTERNAL_FOLDER}/{collection}")
    fs.invalidate_cache(remote)
    try:
        entries = fs.ls(remote, detail=True)
    except FileNotFoundError:
        entries = []
    index_path = folder / INDEX_FILE
    try:
        known: dict[str, str] = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    seen: dict[str, str] = {}
    changed = 0
    for entry in entries:
        name = posixpath.basename(str(entry.get("name", "")).rstrip("/"))
        if entry.get("type") == "directory" or not name.endswith(".json") or name[0] == ".":
            continue
        token = str(entry.get("etag") or entry.get("ETag") or (entry.get("size"), _mtime(entry)))
        seen[name] = token
        if known.get(name) == token and (folder / name).is_file():
            continue
        try:
            document = json.loads(fs.cat_file(f"{remote}/{name}"))
        except FileNotFoundError:
            seen.pop(name)  # removed since the listing
            continue
        except ValueError as exc:
            log.warning("%s is not JSON (%s); keeping the copy in %s", name, exc, folder)
            continue
        write_json_atomic(folder / name, document)
        changed += 1
    for name in set(known) - set(seen):
        (folder / name).unlink(missing_ok=True)
        changed += 1
    if changed or not index_path.exists():
        write_json_atomic(index_path, seen)
    return changed


def _mtime(entry: dict[str, Any]) -> str:
    for key in ("last_modified", "LastModified", "mtime", "updated"):
        if entry.get(key) is not None:
            return str(entry[key])
    return ""


def _timeout() -> float:
    raw = os.environ.get("MLPIPELINES_SPECS_SYNC_TIMEOUT", "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_TIMEOUT_SECONDS
