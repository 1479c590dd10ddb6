"""Putting a finished folder at a fixed, user-visible place on a datastore: filled in a hidden
staging place first, then moved into place, so no reader sees it half-written."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid

from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import StoreLocation


def staging_path(dest_rel: str, ctx: StepContext) -> str:
    """A hidden place beside the destination, the same for every try of this task, so a retry
    resumes the copy (files already there whole are skipped)."""
    token = hashlib.sha256(f"{ctx.dag_id}\0{ctx.run_id}\0{ctx.task_id}".encode()).hexdigest()
    return staging_path_for(dest_rel, token)


def staging_path_for(dest_rel: str, token: str) -> str:
    """The hidden staging place beside ``dest_rel`` for ``token``."""
    parent, _, name = dest_rel.rpartition("/")
    hidden = f".{name or 'root'}.partial-{hashlib.sha256(token.encode()).hexdigest()[:12]}"
    return f"{parent}/{hidden}" if parent else hidden


def promote(dest: StoreLocation, staging: str, dest_rel: str) -> None:
    """Move the finished copy into place: one rename on a local folder (the old destination
    swapped out), a server-side move per file on object stores and SMB."""
    fs = dest.fs
    source, target = dest.path(staging), dest.path(dest_rel)
    if dest.is_local:
        if os.path.lexists(target):
            stale = f"{target}.stale-{uuid.uuid4().hex[:12]}"
            os.rename(target, stale)
            os.rename(source, target)
            fs.rm(stale, recursive=True)
        else:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            os.rename(source, target)
        return
    if fs.isfile(source):
        fs.mv(source, target)
        return
    for path in fs.find(source):
        fs.mv(path, target + path[len(source) :])
    with contextlib.suppress(FileNotFoundError):
        fs.rm(source, recursive=True)
    fs.invalidate_cache()
