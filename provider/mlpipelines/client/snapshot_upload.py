"""A source snapshot sent to the deployment over its REST API (the plugin's snapshot routes),
for a client that has the Airflow URL and a token but no datastore credentials.

Only the file contents the datastore lacks go up, each read from the source folder in
chunks (never whole in memory), a few files at a time. After a failed request the client
asks the server how much it has (``GET /blobs/{hex}``) and goes on from there, so a dropped
connection costs one chunk, not the file. The snapshot is committed last.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError, AirflowUnavailableError
from mlpipelines.errors import MlPipelinesError, UserErrorException
from mlpipelines.records import DatastoreSpec, SourceRef
from mlpipelines.snapshot import ALGORITHM, Snapshot
from mlpipelines.storage.upload_staging import UPLOAD_CHUNK_BYTES

SNAPSHOT_API = "/mlpipelines/api/v1"
PARALLEL_FILES = 4
"""Files sent at once: enough to hide a request's round trip, few enough for 2 cores."""
MAX_STALLS = 5
"""Failed tries in a row, without progress, before a file's upload gives up."""


class SnapshotUploadError(MlPipelinesError, RuntimeError):
    """A snapshot could not be uploaded; the message says which file and why."""


@dataclass(frozen=True)
class UploadedSnapshot:
    """Where the server stored a snapshot, and what this upload had to send for it."""

    path: str
    """Datastore-relative path of the snapshot (what ``SourceRef.path`` holds)."""
    store: DatastoreSpec
    """The datastore it is on, as the server resolved it (what workers fetch it from)."""
    sent: tuple[str, ...]
    """Digests of the file contents sent (those the datastore lacked)."""
    sent_bytes: int

    @property
    def source_ref(self) -> SourceRef:
        """The step's reference to this snapshot."""
        return SourceRef(self.store, self.path)


def upload_snapshot(
    api: AirflowApi,
    snapshot: Snapshot,
    datastore: str | None = None,
    workers: int = PARALLEL_FILES,
) -> UploadedSnapshot:
    """Upload ``snapshot`` to ``datastore`` (default: the server's default datastore)
    through the plugin's REST API; returns where it is stored."""
    params = {"datastore": datastore} if datastore else {}
    root = Path(snapshot.root)
    where = {digest: root / path for path, digest in snapshot.files.items()}
    sizes = {digest: os.stat(path).st_size for digest, path in where.items()}
    total = sum(sizes[digest] for digest in snapshot.files.values())
    body = {"algorithm": ALGORITHM, "files": snapshot.files, "bytes": total}
    missing = _call(api, "POST", "/snapshots/missing", params, json=body)["missing"]
    unknown = set(missing) - sizes.keys()
    if unknown:
        raise SnapshotUploadError(f"the server asked for contents not in the snapshot: {unknown}")

    def send(digest: str) -> None:
        _send_blob(api, digest, where[digest], sizes[digest], params)

    if len(missing) <= 1 or workers <= 1:
        for digest in missing:
            send(digest)
    else:
        with ThreadPoolExecutor(min(workers, len(missing)), "snapshot-upload") as pool:
            list(pool.map(send, missing))
    path = f"/snapshots/{quote(snapshot.digest, safe='')}"
    answer = _call(api, "PUT", path, params, json={"files": snapshot.files})
    return UploadedSnapshot(
        path=answer["path"],
        store=DatastoreSpec.from_json(answer["datastore"]),
        sent=tuple(missing),
        sent_bytes=sum(sizes[d] for d in missing),
    )


def _send_blob(api: AirflowApi, digest: str, file: Path, size: int, params: dict[str, str]) -> None:
    """Send one file in chunks from where the server is; resume after failures."""
    url = f"{SNAPSHOT_API}/blobs/{digest}"
    offset = 0
    stalls = 0
    with open(file, "rb") as source:
        while True:
            source.seek(offset)
            chunk = source.read(min(UPLOAD_CHUNK_BYTES, size - offset))
            if offset < size and not chunk:
                raise SnapshotUploadError(f"{file} got shorter while it was uploaded; submit again")
            query = {**params, "offset": str(offset), "size": str(size)}
            try:
                response: httpx.Response | None = api.request(
                    "PUT",
                    url,
                    params=query,
                    content=chunk,
                    headers={"Content-Type": "application/octet-stream"},
                )
            except AirflowUnavailableError:
                response = None
            if response is not None and response.status_code == 200:
                answer = response.json()
                if answer["complete"]:
                    return
                offset, stalls = int(answer["received"]), 0
                continue
            if response is not None and response.status_code == 409:
                received = _detail(response).get("received")
                if isinstance(received, int):
                    stalls = stalls + 1 if received <= offset else 0
                    offset = received
                    if stalls <= MAX_STALLS:
                        continue
            elif response is not None and response.status_code < 500:
                raise _refused(response, file)
            stalls += 1
            if stalls > MAX_STALLS:
                what = f"answered {response.status_code}" if response is not None else "no answer"
                raise SnapshotUploadError(
                    f"uploading {file}: {MAX_STALLS} tries in a row made no progress ({what})"
                )
            state = _call(api, "GET", f"/blobs/{digest}", params)
            if state["complete"]:
                return
            offset = int(state["received"]) if int(state.get("size", size)) == size else 0


def _call(
    api: AirflowApi, method: str, path: str, params: dict[str, str], **kwargs: Any
) -> dict[str, Any]:
    response = api.request(method, f"{SNAPSHOT_API}{path}", params=params, **kwargs)
    if response.status_code == 404 and path.startswith("/snapshots/missing"):
        raise SnapshotUploadError(
            f"the Airflow at {api.base_url} serves no snapshot uploads "
            f"({method} {SNAPSHOT_API}{path} -> 404); install this version of the mlpipelines "
            "provider on its API server"
        )
    if response.status_code >= 400:
        raise _refused(response, None)
    result: dict[str, Any] = response.json()
    return result


def _refused(response: httpx.Response, file: Path | None) -> Exception:
    """A refused request as an error: limits and bad input are the user's to fix."""
    error = AirflowApiError(response)
    detail = (
        error.detail.get("message", error.detail)
        if isinstance(error.detail, dict)
        else error.detail
    )
    where = f"uploading {file}: " if file is not None else "uploading the snapshot: "
    if response.status_code in (409, 413, 422):
        return UserErrorException(f"{where}{detail}")
    return SnapshotUploadError(f"{where}{error}")


def _detail(response: httpx.Response) -> dict[str, Any]:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}
