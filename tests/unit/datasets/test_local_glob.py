"""The one-folder local glob of dataset sources finds exactly what fsspec's glob finds
(hidden entries, matching folders, symlinks, character classes), and leaves other globs
to fsspec."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fsspec.implementations.local import LocalFileSystem

from mlpipelines.datasets.sources import _glob_one_local_folder, _list


def _fsspec_list(fs: LocalFileSystem, pattern: str) -> list[str]:
    """``_list``'s glob branch as it was: fsspec's glob, matching folders listed whole."""
    files: list[str] = []
    for path, info in fs.glob(pattern, detail=True).items():
        files.extend(fs.find(path) if info.get("type") == "directory" else [path])
    return sorted(set(files))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "sub.csv").mkdir(parents=True)  # a folder the pattern matches: listed whole
    (root / "sub.csv" / "inner.txt").write_text("x")
    (root / "sub.csv" / "deeper").mkdir()
    (root / "sub.csv" / "deeper" / "leaf.csv").write_text("x")
    for name in ("a.csv", "b.csv", "c.txt", ".hidden.csv", "x1.csv", "x9.csv", "we ird.csv"):
        (root / name).write_text(name)
    os.symlink(root / "a.csv", root / "link.csv")
    os.symlink(root / "sub.csv", root / "dirlink.csv")
    os.symlink(root / "gone", root / "broken.csv")
    return root


@pytest.mark.parametrize(
    "last", ["*.csv", "*", "x[0-5].csv", "x[!0-5].csv", "?.csv", "*.parquet", "a.c?v"]
)
def test_it_finds_what_fsspec_finds(folder: Path, last: str) -> None:
    fs = LocalFileSystem()
    pattern = f"{folder}/{last}"
    fast = _glob_one_local_folder(fs, pattern)
    assert fast is not None
    assert fast == _fsspec_list(fs, pattern)
    assert _list(fs, pattern) == (fast, False)


def test_a_missing_folder_matches_nothing(tmp_path: Path) -> None:
    fs = LocalFileSystem()
    assert _glob_one_local_folder(fs, f"{tmp_path}/none/*.csv") == []
    (tmp_path / "file").write_text("x")
    assert _glob_one_local_folder(fs, f"{tmp_path}/file/*.csv") == []


def test_globs_over_several_levels_are_left_to_fsspec(folder: Path) -> None:
    fs = LocalFileSystem()
    for pattern in (f"{folder}/*/leaf.csv", f"{folder}/**/*.csv", f"{folder}/**"):
        assert _glob_one_local_folder(fs, pattern) is None
        assert _list(fs, pattern) == (_fsspec_list(fs, pattern), False)


def test_url_source_names_files_below_its_base_and_leaves_hidden_ones_out(tmp_path: Path) -> None:
    from mlpipelines.datasets.sources import resolve_files

    root = tmp_path / "lake"
    (root / "part" / ".staging").mkdir(parents=True)
    (root / "part" / "a.csv").write_text("1")
    (root / "part" / "b.csv").write_text("2")
    (root / "part" / ".c.csv").write_text("3")
    (root / "part" / ".staging" / "d.csv").write_text("4")
    files = resolve_files({"kind": "file", "sources": [{"url": f"file://{root}/part"}]})
    assert [f.name for f in files] == ["a.csv", "b.csv"]
    assert [f.label for f in files] == [f"file://{root}/part/a.csv", f"file://{root}/part/b.csv"]
