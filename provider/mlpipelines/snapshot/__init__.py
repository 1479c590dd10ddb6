"""A source folder's files after `.amlignore` / `.gitignore`, and content hashes of files and trees.

Runs in the client and at task time: imports nothing of Airflow.
"""

from __future__ import annotations

from mlpipelines.snapshot.digest import ALGORITHM, file_digest, hash_files, hash_listing
from mlpipelines.snapshot.stat_cache import StatCache, default_cache_dir
from mlpipelines.snapshot.tree import (
    Snapshot,
    copy_snapshot,
    diff_files,
    files_digest,
    fingerprint_path,
    take_snapshot,
    tree_fingerprint,
)
from mlpipelines.snapshot.walk import snapshot_files

__all__ = [
    "ALGORITHM",
    "Snapshot",
    "StatCache",
    "copy_snapshot",
    "default_cache_dir",
    "diff_files",
    "file_digest",
    "files_digest",
    "fingerprint_path",
    "hash_files",
    "hash_listing",
    "snapshot_files",
    "take_snapshot",
    "tree_fingerprint",
]
