"""Source snapshots on a datastore: shipped once under their content digest, fetched once
per machine. This is how a step's code reaches a worker or a pod that shares no disk with
the machine that defined the pipeline.

On a remote datastore the snapshot's files go up first and its listing
(``<snapshot>.json``) last, so the listing says the copy is complete; a fetch starts only
when it is there, into a hidden folder renamed into place, so no half-copied snapshot is
ever used on either side.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from mlpipelines._naming import path_safe
from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.location import StoreLocation

SNAPSHOT_FILES = f"{INTERNAL_FOLDER}/snapshot-files"
LISTING_SUFFIX = ".json"


def snapshot_path(snapshot: Any) -> str:
    """Where a snapshot lives on a datastore, named by its content digest."""
    return f"{SNAPSHOT_FILES}/{snapshot.digest.replace(':', '-')}"


def ship_snapshot(snapshot: Any, location: StoreLocation) -> str:
    """Put ``snapshot`` (a ``mlpipelines.snapshot.Snapshot``) on the datastore unless it is
    there already; its datastore-relative path."""
    from mlpipelines.snapshot import copy_snapshot

    relative = snapshot_path(snapshot)
    if location.is_local:
        target = Path(location.path(relative))
        if not target.exists():
            staging = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
            copy_snapshot(snapshot, staging)
            try:
                os.rename(staging, target)
            except OSError:  # another submit stored the same snapshot first
                shutil.rmtree(staging, ignore_errors=True)
                if not target.exists():
                    raise
        return relative
    from mlpipelines.storage.transfer import upload_folder  # fsspec: only when uploading

    listing = location.path(f"{relative}{LISTING_SUFFIX}")
    if not location.fs.exists(listing):
        with tempfile.TemporaryDirectory(prefix="mlpipelines-snapshot-") as tmp:
            copy_snapshot(snapshot, Path(tmp) / "files")
            upload_folder(Path(tmp) / "files", location, relative, overwrite=True)
        location.fs.pipe_file(listing, json.dumps(snapshot.files, sort_keys=True).encode())
    return relative


def fetch_snapshot(location: StoreLocation, relative: str) -> str:
    """A local folder holding the snapshot at ``relative``: the datastore's own folder when
    it is local, else a copy kept under this machine's temp folder (named by content, so it
    never goes stale)."""
    if location.is_local:
        return location.path(relative)
    from mlpipelines.storage.transfer import download

    cache = (
        Path(tempfile.gettempdir())
        / "mlpipelines-snapshots"
        / path_safe(location.datastore)
        / path_safe(relative)
    )
    if cache.is_dir():
        return str(cache)
    if not location.fs.exists(location.path(f"{relative}{LISTING_SUFFIX}")):
        raise UserErrorException(
            f"the source snapshot {location.uri(relative)} is incomplete or missing (its "
            "listing is not there); submit the pipeline again"
        )
    staging = cache.with_name(f".{cache.name}.{uuid.uuid4().hex[:8]}")
    try:
        download(location, relative, staging)
        (staging / relative).mkdir(parents=True, exist_ok=True)  # an empty snapshot
        os.rename(staging / relative, cache)
    except OSError:
        if not cache.is_dir():  # not another task fetching the same snapshot first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(cache)
