"""Fingerprints of a step's inputs: the one rule both the reuse sensor (at run start) and a
step's own task (when it starts) follow, so both compute the same key."""

from __future__ import annotations

from collections.abc import Mapping

from mlpipelines.snapshot import fingerprint_path
from mlpipelines.storage.data_locations import LocatedInput


def input_fingerprints(located: Mapping[str, LocatedInput], content: bool) -> dict[str, str]:
    """Each input's fingerprint: the one recorded for it (by its producer, or a dataset's
    files), else its content hash (or, without ``content``, what its store says of it)."""
    found: dict[str, str] = {}
    for name, item in located.items():
        recorded = (item.ref.fingerprint if item.ref is not None else None) or item.fingerprint
        if recorded:
            found[name] = recorded
        elif item.data is not None:
            local = item.data.local_path
            if content and local is not None:
                found[name] = fingerprint_path(local)
            else:
                found[name] = item.data.store_fingerprint()
    return found
