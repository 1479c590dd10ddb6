"""A step output's files as the pipeline view offers them for download: listed from the
output's datastore (a local folder, Blob, Files or S3, through its connection) and read in
chunks, never whole into memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlpipelines.records import OutputReference
from mlpipelines.storage.datastores import location_of

MAX_LISTED = 500
CHUNK_BYTES = 1 << 20


def list_output_files(ref: dict[str, Any]) -> dict[str, Any]:
    """The output's files (``path`` relative to the output, "" when the output is one file)
    and sizes, at most MAX_LISTED of them (``truncated`` says when there were more)."""
    reference = OutputReference.from_json(ref)
    location = location_of(reference.store)
    top = location.path(reference.path)
    try:
        found = location.fs.find(top, detail=True)
    except FileNotFoundError:
        found = {}
    files = []
    for fs_path, info in sorted(found.items()):
        inside = location.relative(fs_path)[len(location.relative(top)) :].lstrip("/")
        files.append({"path": inside, "size": info.get("size")})
    return {
        "datastore": reference.datastore,
        "path": reference.path,
        "uri": reference.uri,
        "files": files[:MAX_LISTED],
        "truncated": len(files) > MAX_LISTED,
    }


def open_output_file(ref: dict[str, Any], relative: str) -> tuple[Iterator[bytes], int | None]:
    """The chunks of one file of the output (``relative`` to it; "" for a one-file output)
    and its size; FileNotFoundError when the output has no such file."""
    reference = OutputReference.from_json(ref)
    location = location_of(reference.store)
    path = location.path(f"{reference.path}/{relative}" if relative else reference.path)
    if not location.fs.isfile(path):
        raise FileNotFoundError(path)
    size = location.fs.size(path)
    return _chunks(location.fs.open(path, "rb")), size


def _chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
