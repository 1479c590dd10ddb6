"""Applying a gc plan: each removal on its own, in the plan's order, tolerant of things that
vanished meanwhile (another gc, a task cleaning up).

On a local folder an item first leaves its name in one rename (to a hidden ``.stale-``
name beside it, which a later gc removes should this one stop midway), so readers see it
whole or not at all; on an object store a file goes in one request and a folder's files
one by one (a manifest pointing into it has gone first).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from dataclasses import dataclass, field

from mlpipelines.gc.removals import Place, Removal, in_order
from mlpipelines.gc.store_listing import modified_time
from mlpipelines.storage.location import StoreLocation


@dataclass
class Outcome:
    """What applying a plan did: removed, already gone, kept because it changed since the
    survey, or failed (with why)."""

    removed: list[Removal] = field(default_factory=list)
    vanished: list[Removal] = field(default_factory=list)
    changed: list[Removal] = field(default_factory=list)
    failed: list[tuple[Removal, str]] = field(default_factory=list)

    @property
    def freed(self) -> int:
        return sum(r.bytes for r in self.removed)


def apply_removals(removals: list[Removal], places: dict[Place, StoreLocation | None]) -> Outcome:
    """Remove each item, in order. ``places`` opens the datastore and the specs datastore;
    machine paths are absolute."""
    outcome = Outcome()
    for removal in in_order(removals):
        location = places.get(removal.place)
        try:
            if removal.place is Place.MACHINE or location is None:
                done = _remove_local(removal.path, removal.unchanged_since)
            elif location.is_local:
                done = _remove_local(location.path(removal.path), removal.unchanged_since)
            else:
                done = _remove_remote(location, removal.path, removal.unchanged_since)
        except OSError as exc:
            outcome.failed.append((removal, f"{type(exc).__name__}: {exc}"))
            continue
        {"removed": outcome.removed, "vanished": outcome.vanished, "changed": outcome.changed}[
            done
        ].append(removal)
    return outcome


def _remove_local(path: str, unchanged_since: float | None) -> str:
    if unchanged_since is not None:
        try:
            if os.lstat(path).st_mtime > unchanged_since:
                return "changed"
        except FileNotFoundError:
            return "vanished"
    parent, name = os.path.split(path.rstrip("/"))
    aside = os.path.join(parent, f".{name.lstrip('.')}.stale-{uuid.uuid4().hex[:12]}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return "vanished"
    if os.path.isdir(aside) and not os.path.islink(aside):
        shutil.rmtree(aside)
    else:
        os.unlink(aside)
    return "removed"


def _remove_remote(location: StoreLocation, relative: str, unchanged_since: float | None) -> str:
    fs = location.fs
    path = location.path(relative)
    fs.invalidate_cache()
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return "vanished"
    if unchanged_since is not None and modified_time(info) > unchanged_since:
        return "changed"
    try:
        if info.get("type") == "directory":
            fs.rm(path, recursive=True)
        else:
            fs.rm_file(path)
    except FileNotFoundError:
        return "vanished"
    with contextlib.suppress(Exception):
        fs.invalidate_cache()
    return "removed"
