"""A step's source snapshot on DBFS, where a Databricks job can read its script.

Each snapshot lives in its own folder named after its digest, so a folder's content never
changes: once complete it is shared by every run of every step with the same source, and
uploading it again would only cost time. Completion is marked by a small file written last,
beside (not in) the folder, so a half-uploaded folder is never taken for a finished one.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from airflow.providers.databricks.hooks.databricks import DatabricksHook

from mlpipelines.errors import StepRunError
from mlpipelines.snapshot import Snapshot
from mlpipelines.snapshot.digest import new_hash

DBFS_SNAPSHOTS = "/mlpipelines/snapshots"
# DBFS API 2.0 limits: ``put`` takes at most 1 MB inline, ``add-block`` 1 MB a block.
BLOCK_BYTES = 1024 * 1024

_PUT = ("POST", "2.0/dbfs/put")
_CREATE = ("POST", "2.0/dbfs/create")
_ADD_BLOCK = ("POST", "2.0/dbfs/add-block")
_CLOSE = ("POST", "2.0/dbfs/close")
_GET_STATUS = ("GET", "2.0/dbfs/get-status")


def snapshot_folder(snapshot: Snapshot) -> str:
    """The DBFS folder (a path, no ``dbfs:`` scheme) of a snapshot."""
    return f"{DBFS_SNAPSHOTS}/{snapshot.digest.replace(':', '-')}"


def upload_snapshot(hook: DatabricksHook, snapshot: Snapshot) -> tuple[str, int]:
    """Put the snapshot's files on DBFS unless they are there already.

    Returns the folder and how many files were uploaded (0 when it was complete). A file
    whose content changed since the snapshot was taken is refused: what runs must be what
    the reuse key hashed.
    """
    folder = snapshot_folder(snapshot)
    done = f"{folder}.complete"
    if _exists(hook, done):
        return folder, 0
    for relpath, digest in snapshot.files.items():
        source = os.path.join(snapshot.root, relpath)
        if _upload_file(hook, source, f"{folder}/{relpath}") != digest:
            # The folder stays incomplete (no marker), so the next try uploads it again.
            raise StepRunError(
                f"{relpath} changed in {snapshot.root} while the step started; run it again"
            )
    listing = json.dumps({"digest": snapshot.digest, "files": snapshot.files}).encode()
    hook._do_api_call(_PUT, _put_body(done, listing))
    return folder, len(snapshot.files)


def _exists(hook: DatabricksHook, path: str) -> bool:
    from airflow.providers.databricks.exceptions import DatabricksApiError

    try:
        hook._do_api_call(_GET_STATUS, {"path": path})
    except DatabricksApiError as exc:
        if exc.http_status_code == 404:
            return False
        raise
    return True


def _put_body(path: str, content: bytes) -> dict[str, Any]:
    return {"path": path, "contents": base64.b64encode(content).decode(), "overwrite": True}


def _upload_file(hook: DatabricksHook, source: str, path: str) -> str:
    """Upload one file (one ``put``, or ``create``/``add-block``/``close`` when big); returns
    the digest of the bytes sent, hashed as they were read."""
    hasher = new_hash()
    with open(source, "rb") as f:
        if os.fstat(f.fileno()).st_size <= BLOCK_BYTES:
            content = f.read()
            hasher.update(content)
            hook._do_api_call(_PUT, _put_body(path, content))
            return str(hasher.hexdigest())
        handle = hook._do_api_call(_CREATE, {"path": path, "overwrite": True})["handle"]
        while block := f.read(BLOCK_BYTES):
            hasher.update(block)
            hook._do_api_call(
                _ADD_BLOCK, {"handle": handle, "data": base64.b64encode(block).decode()}
            )
        hook._do_api_call(_CLOSE, {"handle": handle})
    return str(hasher.hexdigest())
