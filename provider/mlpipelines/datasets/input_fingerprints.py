"""A dataset input's fingerprint: its definition plus each file it selects, so a step that
reads a dataset is reused only while the dataset and its files are unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import DatasetInput
from mlpipelines.snapshot import fingerprint_path
from mlpipelines.storage.deployment import Deployment


def dataset_fingerprint(spec: DatasetInput) -> str:
    """The dataset's definition plus each file it selects: a content hash for local files,
    the store's etag (or size and mtime) for remote ones. No files is a clear error."""
    from mlpipelines.datasets.sources import resolve_files

    definition = spec.dataset
    try:
        files = resolve_files(definition, Deployment.current_knowing(spec.stores))
    except UserErrorException as exc:
        raise StepRunError(f"dataset input '{spec.name}': {exc}") from None
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode())
    for file in files:
        digest.update(f"\0{file.label}\0{file_fingerprint(file)}".encode())
    return f"dataset:{digest.hexdigest()}"


def file_fingerprint(file: Any) -> str:
    """A remote file by what its store says of it (etag, or size and mtime); a local one by
    its content."""
    if file.local:
        return fingerprint_path(Path(file.path))
    info = file.fs.info(file.path)
    tag = info.get("etag") or info.get("ETag") or info.get("md5")
    return (
        str(tag) if tag else f"{info.get('size')}:{info.get('last_modified') or info.get('mtime')}"
    )
