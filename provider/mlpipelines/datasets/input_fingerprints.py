"""A dataset input's fingerprint: its definition plus each file it selects, so a step that
reads a dataset is reused only while the dataset and its files are unchanged."""

from __future__ import annotations

import hashlib
import json
import operator
import os
from collections.abc import Sequence
from itertools import islice
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import DatasetInput
from mlpipelines.snapshot import ALGORITHM, StatCache, hash_listing
from mlpipelines.snapshot.walk import stat_column_of
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
    return files_fingerprint(definition, files, file_fingerprints(files))


def files_fingerprint(
    definition: dict[str, Any], files: Sequence[Any], fingerprints: Sequence[str]
) -> str:
    """``dataset_fingerprint`` of a dataset whose files (all of them, before its steps) and
    their fingerprints are already known: a caller that needed them anyway (a
    ParallelRunStep's plan) saves listing and checking every file a second time."""
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode())
    for file, found in zip(files, fingerprints, strict=True):
        digest.update(f"\0{file.label}\0{found}".encode())
    return f"dataset:{digest.hexdigest()}"


def file_fingerprints(files: Sequence[Any], sizes: list[int] | None = None) -> list[str]:
    """Each file's fingerprint: a local one by its content (`hash_listing` through one stat
    cache for the lot, keyed by absolute path, saved once, so an unchanged 10,000-file
    dataset costs a stat per file and two compares); a remote one by what its store says of
    it (etag, or size and mtime). ``sizes``, if given, gets each file's size in bytes from
    the same stat or request."""
    found = [""] * len(files)
    sized = [0] * len(files)
    where = [i for i, file in enumerate(files) if file.local]
    for i, file in enumerate(files):
        if file.local:
            continue
        info = file.fs.info(file.path)
        found[i] = _remote_fingerprint(info)
        sized[i] = int(info.get("size") or 0)
    if where:
        # A local filesystem's paths are absolute already; abspath is for any other caller
        # (and a no-op on an absolute path not starting with "/", as on Windows).
        paths = [p if p[:1] == "/" else os.path.abspath(p) for p in (files[i].path for i in where)]
        # Sorted keys let the cache check an unchanged dataset in two compares; a dataset's
        # files come sorted already, which one pass confirms (no sort, no reordering).
        if all(map(operator.le, paths, islice(paths, 1, None))):
            order: Sequence[int] = range(len(paths))
            ordered = paths
        else:
            order = sorted(range(len(paths)), key=paths.__getitem__)
            ordered = [paths[k] for k in order]
        stats = stat_column_of(ordered)
        cache = StatCache.for_root(os.path.dirname(paths[0]))
        digests = hash_listing("", ordered, stats, cache)
        cache.save()
        file_sizes = [fields[0] for fields in stats]
        if len(where) == len(files) and isinstance(order, range):  # all local, in order
            prefix = f"{ALGORITHM}:"
            found = [prefix + digest for digest in digests]
            sized = file_sizes
        else:
            for k, digest, size in zip(order, digests, file_sizes, strict=True):
                found[where[k]] = f"{ALGORITHM}:{digest}"
                sized[where[k]] = size
    if sizes is not None:
        sizes.extend(sized)
    return found


def _remote_fingerprint(info: dict[str, Any]) -> str:
    tag = info.get("etag") or info.get("ETag") or info.get("md5")
    return (
        str(tag) if tag else f"{info.get('size')}:{info.get('last_modified') or info.get('mtime')}"
    )
