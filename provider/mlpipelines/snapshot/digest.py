"""Content digests of files: streamed, parallel across files, skipped when a stat cache vouches.

blake3 when it is installed (several times faster than sha256, and it spreads one big file over
all cores), else hashlib's sha256; how many threads, `hash_probe` measured on this machine.
Digests are hex strings without the algorithm; the combined digests built from them carry it as
a prefix (`"blake3:..."`), so a host without blake3 never mistakes its keys for another host's.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mlpipelines.snapshot.algorithm import ALGORITHM
from mlpipelines.snapshot.hash_probe import (
    HashingPlan,
    default_plan,
    machine_is_quiet,
    measure_plan,
    remembered_plan,
    save_plan,
)
from mlpipelines.snapshot.stat_cache import StatCache
from mlpipelines.snapshot.stat_column import StatColumn

try:
    import blake3 as _blake3
except ImportError:  # pragma: no cover - exercised only where blake3 is missing
    _blake3 = None  # type: ignore[assignment]

_BUFFER_SIZE = 1 << 20
_PARALLEL_MIN = 8 << 20
"""From this size one file's blake3 runs on all cores; below it the threads cost more."""
_PARALLEL_BUFFER_SIZE = 8 << 20
_BATCH_BYTES = 4 << 20
_BATCH_FILES = 64
_POOL_MIN = 64 << 10
"""Files smaller than this are hashed in the calling thread (see `digest_paths`)."""
_PROBE_MIN_BYTES = 64 << 20
"""A batch this big pays for measuring the machine (`hash_probe`, ~0.1 s once per machine)."""
_plan: HashingPlan | None = None

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_local = threading.local()

__all__ = [
    "ALGORITHM",
    "StatCache",
    "digest_paths",
    "file_digest",
    "hash_files",
    "hash_listing",
    "new_hash",
]


def new_hash() -> Any:
    """A fresh hash object of `ALGORITHM` (for combining digests)."""
    return _blake3.blake3() if _blake3 is not None else hashlib.sha256()


def _buffer(size: int) -> memoryview:
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    if size not in buffers:
        buffers[size] = memoryview(bytearray(size))
    return buffers[size]


def _digest_small(path: str | os.PathLike[str]) -> str:
    # os.read without a file object: a third less time per small file than open().readinto.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        data = os.read(fd, _BUFFER_SIZE)
        hasher: Any = _blake3.blake3(data) if _blake3 is not None else hashlib.sha256(data)
        while data := os.read(fd, _BUFFER_SIZE):
            hasher.update(data)
    finally:
        os.close(fd)
    return hasher.hexdigest()


def _digest(path: str | os.PathLike[str], parallel: bool, size: int = -1) -> str:
    """Digest of one file; `size` (when known from a stat) picks the way to read it."""
    if 0 <= size < _BUFFER_SIZE:
        return _digest_small(path)
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        if _blake3 is None:
            hasher: Any = hashlib.sha256()
            buffer = _buffer(_BUFFER_SIZE)
        elif parallel and size >= _PARALLEL_MIN:
            hasher = _blake3.blake3(max_threads=_blake3.blake3.AUTO)
            buffer = _buffer(_PARALLEL_BUFFER_SIZE)
        else:
            hasher = _blake3.blake3()
            buffer = _buffer(_BUFFER_SIZE)
        while read := f.readinto(buffer):
            hasher.update(buffer[:read])
    return hasher.hexdigest()


def file_digest(path: str | os.PathLike[str]) -> str:
    """Hex digest of one file's content, read in 1 MiB (8 MiB for big files) pieces."""
    return _digest(path, parallel=True)


def _digest_batch(batch: list[tuple[int, str]]) -> list[str]:
    return [_digest(path, False, size) for size, path in batch]


def _batches(files: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    batches: list[list[tuple[int, str]]] = []
    batch: list[tuple[int, str]] = []
    total = 0
    for size, path in files:
        batch.append((size, path))
        total += size
        if total >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            batches.append(batch)
            batch, total = [], 0
    if batch:
        batches.append(batch)
    return batches


def hashing_plan(batch_bytes: int = 0) -> HashingPlan:
    """This machine's thread counts for hashing: remembered from a probe, else measured now when
    `batch_bytes` is worth it and the machine is quiet enough to tell, else `default_plan()`."""
    global _plan
    if _plan is None:
        _plan = remembered_plan()
    if _plan is None and batch_bytes >= _PROBE_MIN_BYTES and machine_is_quiet():
        split = (lambda path: _digest(path, True)) if _blake3 is not None else None
        _plan = measure_plan(lambda path: _digest(path, False), split)
        save_plan(_plan)
    return _plan if _plan is not None else default_plan()


def digest_paths(paths: list[str], sizes: list[int], workers: int | None = None) -> list[str]:
    """Digests of `paths` (in that order); `sizes` are their expected sizes, for scheduling.

    Small files are hashed in the calling thread: per file, Python's own work outweighs the
    hashing, and threads would only fight over the GIL. Bigger files go to a pool of `workers`
    threads (default: `hashing_plan()`) meanwhile, except that with blake3 each big file is
    hashed on all cores in turn where the plan found that faster.
    """
    if workers is None:
        plan = hashing_plan(sum(size for size in sizes if size >= _POOL_MIN))
        workers, split = plan.workers, plan.split_big_files and _blake3 is not None
    else:
        split = _blake3 is not None
    small: list[tuple[int, str]] = []
    pooled: list[tuple[int, str]] = []
    big: list[str] = []
    for path, size in zip(paths, sizes, strict=True):
        if split and size >= _PARALLEL_MIN:
            big.append(path)
        elif size < _POOL_MIN or workers <= 1:
            small.append((size, path))
        else:
            pooled.append((size, path))
    pooled.sort(reverse=True)  # largest first, so no thread is left with a big file at the end
    digests: dict[str, str] = {}
    batches = _batches(pooled)
    with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="digest") as pool:
        done = pool.map(_digest_batch, batches)
        for path in big:
            digests[path] = _digest(path, True)
        for size, path in small:
            digests[path] = _digest(path, False, size)
        for batch, results in zip(batches, done, strict=True):
            digests.update(zip((path for _, path in batch), results, strict=True))
    return [digests[path] for path in paths]


def hash_files(
    root: str | os.PathLike[str],
    relpaths: list[str],
    cache: StatCache | None = None,
    workers: int | None = None,
) -> dict[str, str]:
    """Digests of the files `relpaths` (posix, relative to `root`), in that order.

    A file whose size, mtime, ctime and inode match the cache is not read.
    """
    prefix = os.path.join(os.fspath(root), "")
    stats = [os.stat(prefix + relpath) for relpath in relpaths]
    digests = hash_listing(os.fspath(root), relpaths, stats, cache, workers)
    return dict(zip(relpaths, digests, strict=True))


def hash_listing(
    root: str,
    relpaths: list[str],
    stats: StatColumn | Sequence[os.stat_result],
    cache: StatCache | None,
    workers: int | None = None,
    key_base: str | None = None,
) -> list[str]:
    """The digests of files already stat'ed (`relpaths` below `root`, each with its stat, as a
    `StatColumn` or `os.stat` results), with cache keys `key_base + relpath` (absolute keys,
    so one cache can serve many folders; or root "" and absolute paths as relpaths). Listed
    in sorted key order, an unchanged tree is checked in two compares."""
    column = StatColumn.of(stats)
    keys = relpaths if key_base is None else list(map(key_base.__add__, relpaths))
    digests: list[str | None] = (
        cache.lookup_listing(keys, column) if cache is not None else [None] * len(keys)
    )
    missed = [i for i, digest in enumerate(digests) if digest is None]
    if missed:
        prefix = os.path.join(root, "")
        paths = [prefix + relpaths[i] for i in missed]
        found = digest_paths(paths, [column.size(i) for i in missed], workers)
        for i, digest in zip(missed, found, strict=True):
            digests[i] = digest
            if cache is not None:
                cache.store_row(keys[i], column.row(i), digest)
    return digests  # type: ignore[return-value]
