"""Source snapshots uploaded over REST: a client with only the Airflow URL and a token sends
the files a datastore lacks, in chunks it can resume, then commits the snapshot.

Mounted on the plugin's app under ``/api/v1`` (so ``/mlpipelines/api/v1/...``):

- ``POST /snapshots/missing`` ``{"files": {path: hex}}`` -> ``{"missing": [hex, ...]}``;
- ``GET /blobs/{hex}`` -> ``{"received": n, "complete": bool}``, where an upload resumes;
- ``PUT /blobs/{hex}?offset=N&size=TOTAL``, one chunk as the raw body; an offset other than
  the bytes received is refused (409 with ``received``), so any request may be repeated;
- ``PUT /snapshots/{algorithm}:{hex}`` ``{"files": {...}}`` -> ``{"path", "datastore"}``.

Each takes ``?datastore=<name>`` (default: the server's default datastore), resolved as a
task resolves it, never a path the client gives. Auth is Airflow's own (``GetUserDep``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Body, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from mlpipelines.errors import UserErrorException
from mlpipelines.plugin.upload_limits import LimitExceeded, UploadLimits
from mlpipelines.records import DatastoreSpec
from mlpipelines.snapshot import ALGORITHM, files_digest
from mlpipelines.snapshot.listing import check_algorithm, check_files, check_hex, parse_digest
from mlpipelines.storage.blob_store import BlobDigestMismatch, BlobStore
from mlpipelines.storage.datastores import location_of
from mlpipelines.storage.deployment import Deployment, airflow_home
from mlpipelines.storage.location import DatastoreAccessError, StoreLocation
from mlpipelines.storage.snapshots import store_listed_snapshot
from mlpipelines.storage.upload_staging import OffsetMismatch, UploadStaging

_DATASTORE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,249}")

router = APIRouter(tags=["mlpipelines snapshots"])


@dataclass(frozen=True)
class TargetStore:
    """The datastore snapshots go to, as a step's definition names it and as opened here."""

    spec: DatastoreSpec
    location: StoreLocation

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.location)


def upload_limits() -> UploadLimits:
    """The limits in the API server's environment, read per request."""
    return UploadLimits.from_environment()


def upload_staging() -> UploadStaging:
    """Partial uploads in ``$AIRFLOW_HOME/mlpipelines/uploads``: local to the API server."""
    return UploadStaging(airflow_home() / "mlpipelines" / "uploads")


def target_store(datastore: str | None = None) -> TargetStore:
    """The datastore ``datastore`` names (default: this deployment's default datastore)."""
    deployment = Deployment.current()
    name = datastore or deployment.default_datastore_name
    if not _DATASTORE_NAME.fullmatch(name):
        raise HTTPException(status_code=422, detail=f"datastore name {name[:80]!r} is invalid")
    spec = deployment.datastore_spec(name)
    try:
        return TargetStore(spec, location_of(spec))
    except UserErrorException as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


Limits = Annotated[UploadLimits, Depends(upload_limits)]
Staging = Annotated[UploadStaging, Depends(upload_staging)]
Target = Annotated[TargetStore, Depends(target_store)]


@router.post("/snapshots/missing")
def missing_blobs(
    user: GetUserDep, limits: Limits, target: Target, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Which of a snapshot's file contents the datastore lacks. ``algorithm`` (optional)
    must be this server's; ``bytes`` (optional, the snapshot's total) is checked early."""
    body = _object(body)
    with _answers():
        if "algorithm" in body:
            check_algorithm(body["algorithm"])
        files = _files(body, limits)
        if isinstance(body.get("bytes"), int):
            limits.check_snapshot(body["bytes"])
        return {"missing": target.blobs.missing(files.values()), "algorithm": ALGORITHM}


@router.get("/blobs/{digest}")
def blob_state(digest: str, user: GetUserDep, staging: Staging, target: Target) -> dict[str, Any]:
    """How much of a blob the server has: all of it (on the datastore), or the bytes of an
    upload in progress, where the client goes on."""
    with _answers():
        check_hex(digest)
        size = target.blobs.sizes([digest])[digest]
        if size is not None:
            return {"received": size, "complete": True}
        state = staging.state(digest)
        if state is None:
            return {"received": 0, "complete": False}
        return {"received": state.received, "size": state.size, "complete": False}


@router.put("/blobs/{digest}")
async def put_blob_chunk(
    digest: str,
    offset: int,
    size: int,
    request: Request,
    user: GetUserDep,
    limits: Limits,
    staging: Staging,
    target: Target,
) -> dict[str, Any]:
    """Append one chunk (the raw body, at most one chunk's bytes) at ``offset`` of the file
    ``digest`` of ``size`` bytes; the last one checks the digest and stores the blob."""
    with _answers():
        check_hex(digest)
        limits.check_file(size)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit():
            limits.check_chunk(int(declared))
    chunk = await _body(request, limits)
    return await run_in_threadpool(_receive, digest, offset, size, chunk, staging, target)


@router.put("/snapshots/{digest}")
def commit_snapshot(
    digest: str,
    user: GetUserDep,
    limits: Limits,
    target: Target,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Record the snapshot ``<algorithm>:<hex>`` of ``files`` once all their blobs are on
    the datastore; answers where it is. Committing it again answers the same."""
    body = _object(body)
    with _answers():
        parse_digest(digest)
        files = _files(body, limits)
        if files_digest(files) != digest:
            raise UserErrorException(
                f"the files listed hash to {files_digest(files)}, not {digest}"
            )
        sizes = target.blobs.sizes(files.values())
        missing = [d for d, size in sizes.items() if size is None]
        if missing:
            raise HTTPException(
                status_code=409,
                detail={
                    "message": f"{len(missing)} file content(s) are not uploaded yet",
                    "missing": missing,
                },
            )
        limits.check_snapshot(sum(sizes[d] or 0 for d in files.values()))
        path = store_listed_snapshot(target.location, digest, files)
    return {"path": path, "datastore": target.spec.to_dict(), "digest": digest}


def _receive(
    digest: str, offset: int, size: int, chunk: bytes, staging: UploadStaging, target: TargetStore
) -> dict[str, Any]:
    store = target.blobs
    complete = {"received": size, "complete": True}
    with _answers():
        if offset == 0 and store.has(digest):
            return complete
        try:
            received = staging.receive(
                digest,
                size,
                offset,
                chunk,
                lambda path: store.put(digest, path, move=True, known_missing=True),
            )
        except OffsetMismatch as exc:
            if store.has(digest):  # finished by an earlier try whose answer was lost
                return complete
            raise HTTPException(
                status_code=409, detail={"message": str(exc), "received": exc.received}
            ) from None
        except BlobDigestMismatch:
            raise UserErrorException(
                f"the {size} bytes uploaded as blob {digest} hash to something else; they "
                "were dropped: send the file again (did it change while it was sent?)"
            ) from None
    return {"received": received, "complete": received == size}


async def _body(request: Request, limits: UploadLimits) -> bytes:
    """The request body, refused (413) as soon as it passes one chunk."""
    parts: list[bytes] = []
    total = 0
    async for part in request.stream():
        total += len(part)
        if total > limits.chunk_bytes:
            with _answers():
                limits.check_chunk(total)
        parts.append(part)
    return b"".join(parts)


def _files(body: dict[str, Any], limits: UploadLimits) -> dict[str, str]:
    files = body.get("files")
    if isinstance(files, dict):
        limits.check_files(len(files))
    return check_files(files)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise HTTPException(status_code=422, detail="the body must be a JSON object")
    return body


@contextlib.contextmanager
def _answers() -> Iterator[None]:
    """Errors as HTTP answers: a limit 413, a malformed request 422, a datastore that fails
    503 (a client tries again)."""
    try:
        yield
    except LimitExceeded as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from None
    except UserErrorException as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except DatastoreAccessError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
