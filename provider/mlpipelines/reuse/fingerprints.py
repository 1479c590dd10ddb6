"""Fingerprints of data read again and again: inputs, and outputs kept for reuse."""

from __future__ import annotations

from pathlib import Path

from mlpipelines.snapshot import StatCache, tree_fingerprint


def fingerprint_path(path: Path) -> str:
    """Content fingerprint of a local file or folder that is read again and again (an input,
    a cached output): a stat cache of its own keeps unchanged files from being re-read.
    One cache per path keeps each small, where one per datastore would grow with every run
    and be loaded by every task."""
    return tree_fingerprint(path, StatCache.for_root(path))
