"""Listing a folder of a datastore with sizes and change times, local or remote alike, and
recognising the temporaries killed tasks leave there."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlpipelines.storage.file_copy import is_partial
from mlpipelines.storage.location import StoreLocation

_STALE = re.compile(r"\.stale-[0-9a-f]{8,}$")
_HIDDEN_TEMP = re.compile(r"^\..+\.[0-9a-f]{8,}(\.tmp)?$")


def is_leftover(name: str) -> bool:
    """A name only a writer that never finished leaves: ``.<name>.partial-<id>`` (copies,
    outputs, promotions), ``<name>.stale-<id>`` (a swapped-out output or marker),
    ``.<name>.<id>.tmp`` (JSON written beside) and ``.<name>.<id>`` (a snapshot being built)."""
    return is_partial(name) or bool(_STALE.search(name)) or bool(_HIDDEN_TEMP.match(name))


@dataclass(frozen=True)
class Listed:
    """A file (or, on a local folder, a folder) under a listed folder."""

    path: str
    size: int
    modified: float
    is_dir: bool = False


def list_tree(location: StoreLocation, relative: str) -> list[Listed]:
    """Everything under ``relative`` on ``location`` (datastore-relative paths); empty when
    it is not there. A local folder lists folders too (an empty one still has a time);
    hard-linked files count their bytes once per listing."""
    if location.is_local:
        return _local_tree(location, relative)
    fs = location.fs
    top = location.path(relative)
    fs.invalidate_cache()
    try:
        found: dict[str, dict[str, Any]] = fs.find(top, detail=True, withdirs=False)
    except FileNotFoundError:
        return []
    listed = []
    for path, info in found.items():
        if info.get("type") == "directory":
            continue
        size = int(info.get("size") or 0)
        listed.append(Listed(location.relative(path), size, modified_time(info)))
    return listed


def _local_tree(location: StoreLocation, relative: str) -> list[Listed]:
    root = location.path("")
    stack = [location.path(relative)]
    seen: set[tuple[int, int]] = set()
    listed = []
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            rel = os.path.relpath(entry.path, root).replace(os.sep, "/")
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                listed.append(Listed(rel, 0, st.st_mtime, is_dir=True))
                continue
            size = st.st_size
            if st.st_nlink > 1:
                identity = (st.st_dev, st.st_ino)
                size = 0 if identity in seen else size
                seen.add(identity)
            listed.append(Listed(rel, size, st.st_mtime))
    return listed


def modified_time(info: dict[str, Any]) -> float:
    """A remote file's change time, whatever its filesystem calls it."""
    for key in ("mtime", "last_modified", "LastModified", "updated", "creation_time"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return 0.0
