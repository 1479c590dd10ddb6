"""Source snapshots on a datastore: shipped once under their content digest, fetched once
per machine. This is how a step's code reaches a worker or a pod that shares no disk with
the machine that defined the pipeline.

On a local folder a snapshot is a folder, ``snapshot-files/<digest>/``, that a step's source
points at directly. On a remote datastore it is a listing, ``snapshot-files/<digest>.json``
(path -> file digest), over content-addressed blobs (``storage.blob_store``): the blobs a
store lacks go up first and the listing last, so the listing says the snapshot is complete,
and two snapshots sharing a file store and move it once. A worker builds the folder from
blobs it caches by digest, into a hidden folder renamed into place, so no half-built
snapshot is ever used. Snapshots shipped before blobs (a folder next to a flat listing)
still fetch.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mlpipelines._naming import path_safe
from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.snapshot import ALGORITHM
from mlpipelines.snapshot.listing import check_files
from mlpipelines.storage.blob_store import BlobStore, cached_blobs, machine_blob_cache
from mlpipelines.storage.location import StoreLocation

SNAPSHOT_FILES = f"{INTERNAL_FOLDER}/snapshot-files"
LISTING_SUFFIX = ".json"
LISTING_SCHEMA = 2
"""Listings over blobs; a listing without ``schema`` names a folder of files next to it."""
SHIP_PARALLELISM = 8


def snapshot_path(snapshot: Any) -> str:
    """Where a snapshot lives on a datastore, named by its content digest."""
    return snapshot_path_of(snapshot.digest)


def snapshot_path_of(digest: str) -> str:
    """Where the snapshot of digest ``"<algorithm>:<hex>"`` lives on a datastore."""
    return f"{SNAPSHOT_FILES}/{digest.replace(':', '-')}"


def ship_snapshot(snapshot: Any, location: StoreLocation) -> str:
    """Put ``snapshot`` (a ``mlpipelines.snapshot.Snapshot``) on the datastore unless it is
    there already; its datastore-relative path."""
    from mlpipelines.snapshot import copy_snapshot

    relative = snapshot_path(snapshot)
    if location.is_local:
        target = Path(location.path(relative))
        if not target.exists():
            staging = _staging_name(target)
            copy_snapshot(snapshot, staging)
            _rename_into_place(staging, target)
        return relative
    if not _exists(location, f"{relative}{LISTING_SUFFIX}"):
        store = BlobStore(location)
        where = {digest: path for path, digest in snapshot.files.items()}
        missing = store.missing(snapshot.files.values())

        def put(digest: str) -> None:
            store.put(digest, Path(snapshot.root) / where[digest], known_missing=True)

        _each(put, missing, SHIP_PARALLELISM)
        _write_listing(location, relative, snapshot.files)
    return relative


def store_listed_snapshot(location: StoreLocation, digest: str, files: Mapping[str, str]) -> str:
    """Record the snapshot ``digest`` of ``files`` (path -> blob digest, every blob already
    on ``location``) unless it is there; its datastore-relative path. A remote store gets
    the listing; a local folder gets the snapshot's folder, hard-linked from the blobs."""
    relative = snapshot_path_of(digest)
    store = BlobStore(location)
    if location.is_local:
        target = Path(location.path(relative))
        if not target.exists():
            staging = _staging_name(target)
            blobs = {d: Path(store.path(d)) for d in files.values()}
            _assemble(staging, files, blobs)
            _rename_into_place(staging, target)
        return relative
    if not _exists(location, f"{relative}{LISTING_SUFFIX}"):
        _write_listing(location, relative, files)
    return relative


def fetch_snapshot(location: StoreLocation, relative: str) -> str:
    """A local folder holding the snapshot at ``relative``: the datastore's own folder when
    it is local, else a copy kept under this machine's temp folder (named by content, so it
    never goes stale)."""
    if location.is_local:
        return location.path(relative)
    cache = (
        Path(tempfile.gettempdir())
        / "mlpipelines-snapshots"
        / path_safe(location.datastore)
        / path_safe(relative)
    )
    if cache.is_dir():
        return str(cache)
    listing = _read_listing(location, relative)
    staging = _staging_name(cache)
    try:
        if listing.get("schema") == LISTING_SCHEMA:
            files = check_files(listing.get("files"))
            blobs = cached_blobs(BlobStore(location), files.values(), machine_blob_cache())
            _assemble(staging, files, blobs)
            _rename_into_place(staging, cache)
        else:  # shipped before blobs: the files sit in a folder next to the listing
            from mlpipelines.storage.transfer import download

            download(location, relative, staging)
            (staging / relative).mkdir(parents=True, exist_ok=True)  # an empty snapshot
            _rename_into_place(staging / relative, cache)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(cache)


def _read_listing(location: StoreLocation, relative: str) -> dict[str, Any]:
    path = location.path(f"{relative}{LISTING_SUFFIX}")
    try:
        raw = location.fs.cat_file(path)
    except OSError as exc:
        if not (isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT):
            raise location.error("cannot be read", exc, f"{relative}{LISTING_SUFFIX}") from None
        raise UserErrorException(
            f"the source snapshot {location.uri(relative)} is incomplete or missing (its "
            "listing is not there); submit the pipeline again"
        ) from None
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise UserErrorException(f"the listing of snapshot {location.uri(relative)} is malformed")
    return document


def _write_listing(location: StoreLocation, relative: str, files: Mapping[str, str]) -> None:
    body = {"schema": LISTING_SCHEMA, "algorithm": ALGORITHM, "files": dict(sorted(files.items()))}
    location.fs.pipe_file(
        location.path(f"{relative}{LISTING_SUFFIX}"), json.dumps(body, sort_keys=True).encode()
    )


def _assemble(folder: Path, files: Mapping[str, str], blobs: Mapping[str, Path]) -> None:
    """Build ``folder`` holding ``files`` (path -> digest) from local blob files: hard links
    where the filesystem allows (no bytes copied), else copies."""
    folder.mkdir(parents=True)
    made: set[Path] = {folder}
    for relpath, digest in files.items():
        destination = folder / relpath
        parent = destination.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        try:
            os.link(blobs[digest], destination)
        except OSError:  # another filesystem, or no hard links there
            shutil.copyfile(blobs[digest], destination)


def _staging_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")


def _rename_into_place(staging: Path, target: Path) -> None:
    """Rename a finished folder to ``target``; another process that got there first wins."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.exists():
            raise


def _exists(location: StoreLocation, relative: str) -> bool:
    location.fs.invalidate_cache()
    return bool(location.fs.exists(location.path(relative)))


def _each(work: Any, items: list[str], workers: int) -> None:
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="snapshot") as pool:
        list(pool.map(work, items))
