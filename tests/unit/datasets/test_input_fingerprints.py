"""Local files' fingerprints: their contents through the stat cache, keyed by absolute path,
in the files' order whatever order the cache keeps them in."""

from __future__ import annotations

import os
from pathlib import Path

from fsspec.implementations.local import LocalFileSystem

from mlpipelines.datasets.input_fingerprints import file_fingerprints
from mlpipelines.datasets.sources import ResolvedFile
from mlpipelines.snapshot import ALGORITHM, StatCache, file_digest

OLD_NS = 1_000_000_000_000_000_000  # 2001: long past the stat cache's racy window


def _file(path: Path, text: str) -> ResolvedFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(OLD_NS, OLD_NS))
    return ResolvedFile(LocalFileSystem(), str(path), path.name, path.name, "local", True)


def test_fingerprints_follow_the_files_order_and_contents_through_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPIPELINES_CACHE_DIR", str(tmp_path / "cache"))
    # Not in sorted order: the cache is consulted in sorted order, the answer is not.
    files = [_file(tmp_path / "b" / "2.txt", "two"), _file(tmp_path / "a" / "1.txt", "one!")]
    sizes: list[int] = []
    first = file_fingerprints(files, sizes)
    assert first == [f"{ALGORITHM}:{file_digest(f.path)}" for f in files]
    assert sizes == [3, 4]
    cache = StatCache.for_root(os.path.dirname(files[0].path))
    assert len(cache) == 2  # remembered under their absolute paths, saved once
    assert cache.lookup(files[1].path, os.stat(files[1].path)) == first[1].partition(":")[2]

    assert file_fingerprints(files) == first  # unchanged: from the cache
    in_order: list[int] = []  # sorted already, as a dataset's files come: no reordering
    assert file_fingerprints(files[::-1], in_order) == first[::-1] and in_order == [4, 3]
    _file(tmp_path / "a" / "1.txt", "ONE!")  # same size and mtime, new ctime: hashed again
    again = file_fingerprints(files)
    assert again[0] == first[0] and again[1] != first[1]
    assert again[1] == f"{ALGORITHM}:{file_digest(files[1].path)}"
