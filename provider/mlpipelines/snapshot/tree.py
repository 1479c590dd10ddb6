"""Snapshots of source folders and fingerprints of data: digests of relative paths and contents.

Nothing of where a tree lives (absolute path, mtimes, owner, host) enters a digest, so the same
files give the same digest on every machine, and a reuse key built from it is portable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlpipelines._collector import collection_paused
from mlpipelines.snapshot.digest import ALGORITHM, file_digest, hash_listing, new_hash
from mlpipelines.snapshot.stat_cache import StatCache
from mlpipelines.snapshot.stat_column import StatColumn
from mlpipelines.snapshot.walk import Listing, snapshot_stats, snapshot_workers

_TREE_HEADER = b"mlpipelines-tree-v1\x00"
"""Starts every tree digest, so no folder digests like a file (an empty folder != an empty file)."""


@dataclass(frozen=True)
class Snapshot:
    """The files of a source folder after its ignore rules, with their digests."""

    root: str
    """Absolute path of the folder; not part of `digest`."""
    files: dict[str, str]
    """Posix relative path -> hex digest of the content, sorted by path."""
    digest: str
    """`"<algorithm>:<hex>"` over the sorted (path, file digest) pairs only."""


def files_digest(files: Mapping[str, str]) -> str:
    """`"<algorithm>:<hex>"` of (relative path, file digest) pairs, in path order."""
    parts = [_TREE_HEADER]
    for relpath, digest in sorted(files.items()):
        name = relpath.encode("utf-8", "surrogateescape")
        parts += (len(name).to_bytes(4, "big"), name, bytes.fromhex(digest))
    hasher = new_hash()
    hasher.update(b"".join(parts))
    return f"{ALGORITHM}:{hasher.hexdigest()}"


def take_snapshot(root: str | os.PathLike[str], cache: StatCache | None = None) -> Snapshot:
    """Snapshot the folder `root` under its `.amlignore` / `.gitignore` rules.

    Uses (and saves) `StatCache.for_root(root)` unless `cache` is given; the given one is saved
    too, but only the default one is pruned of files that are gone.
    """
    folder = os.path.abspath(root)
    own_cache = cache is None
    if cache is None:
        cache = StatCache.for_root(folder)
    with collection_paused():
        files, digest = _hashed(folder, cache)
    if own_cache:
        cache.drop_unused()
    cache.save()
    return Snapshot(root=folder, files=files, digest=digest)


def _hashed(folder: str, cache: StatCache) -> tuple[dict[str, str], str]:
    """The files of `folder` with their digests, and the tree digest. The stats die here, while
    the collector is paused: a collection as it resumes would traverse each of them."""
    relpaths, stats = snapshot_stats(folder, snapshot_workers())
    digests = hash_listing(folder, relpaths, stats, cache)
    return dict(zip(relpaths, digests, strict=True)), _remembered_files_digest(
        relpaths, digests, cache
    )


def _remembered_files_digest(relpaths: list[str], digests: list[str], cache: StatCache) -> str:
    """`files_digest` of the sorted `relpaths` and their `digests`, kept in `cache` under a
    sha256 of exactly its input (paths in order, each path NUL-free, then the fixed-width
    digests): an unchanged tree skips the per-file work of `files_digest`, and a changed one
    can never match."""
    names = "\0".join(relpaths).encode("utf-8", "surrogateescape")
    content = "".join(digests).encode("ascii")
    name = "files-digest-v1:" + hashlib.sha256(names + b"\0\0" + content).hexdigest()
    digest = cache.remembered(name)
    if digest is None:
        digest = files_digest(dict(zip(relpaths, digests, strict=True)))
        cache.remember(name, digest)
    return digest


def copy_snapshot(snapshot: Snapshot, dest: str | os.PathLike[str]) -> None:
    """Copy exactly the files of `snapshot` into `dest`, keeping relative paths and modes."""
    target = os.fspath(dest)
    made: set[str] = set()
    for relpath in snapshot.files:
        destination = os.path.join(target, relpath)
        folder = os.path.dirname(destination)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        shutil.copy(os.path.join(snapshot.root, relpath), destination)


def _all_files(root: str) -> Listing:
    """Every file below `root` with its stat, following folder symlinks but not into a loop."""
    files: list[tuple[str, os.stat_result]] = []
    top = os.stat(root)
    stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [
        (root, "", frozenset({(top.st_dev, top.st_ino)}))
    ]
    while stack:
        folder, prefix, seen = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir():
                    st = entry.stat()
                    identity = (st.st_dev, st.st_ino)
                    if identity not in seen:
                        stack.append((entry.path, f"{prefix}{entry.name}/", seen | {identity}))
                elif entry.is_file():
                    files.append((prefix + entry.name, entry.stat()))
    files.sort(key=lambda item: item[0])
    return [relpath for relpath, _ in files], StatColumn.of([st for _, st in files])


def fingerprint_path(path: Path) -> str:
    """Content fingerprint of a local file or folder that is read again and again (an input,
    a cached output): a stat cache of its own keeps unchanged files from being re-read.
    One cache per path keeps each small, where one per datastore would grow with every run
    and be loaded by every task."""
    return tree_fingerprint(path, StatCache.for_root(path))


def tree_fingerprint(path: str | os.PathLike[str], cache: StatCache | None = None) -> str:
    """Content hash `"<algorithm>:<hex>"` of a file, or of a folder's files and their paths.

    No ignore rules apply. A file's fingerprint is the digest of its content; a folder's is
    `files_digest` of all its files, so it never equals a file's. `cache` (if given, keyed by
    absolute path so one cache can serve many folders) is used and saved.
    """
    target = os.path.abspath(path)
    st = os.stat(target)
    if not stat.S_ISDIR(st.st_mode):
        digest = cache.lookup(target, st) if cache is not None else None
        if digest is None:
            digest = file_digest(target)
            if cache is not None:
                cache.store(target, st, digest)
    else:
        relpaths, stats = _all_files(target)
        digests = hash_listing(target, relpaths, stats, cache, key_base=target + os.sep)
        digest = files_digest(dict(zip(relpaths, digests, strict=True))).partition(":")[2]
    if cache is not None:
        cache.save()
    return f"{ALGORITHM}:{digest}"


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, list[str]]:
    """What changed between two `Snapshot.files` maps: added, removed and changed paths, sorted."""
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": sorted(k for k in old.keys() & new.keys() if old[k] != new[k]),
    }
