"""The walk's columns: path order without a global sort, and both ways of reading a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlpipelines.snapshot import walk
from mlpipelines.snapshot.walk import snapshot_files, snapshot_stats, stat_paths

pytestmark = pytest.mark.usefixtures("walk_mode")

# Names around "/" (0x2f) in code point order: "-" and "." sort before it, "0" and "_" after.
TRICKY = ["a", "a-b", "a.b", "a0", "a_b", "b"]


def _tricky_tree(root: Path, with_ignore_file: bool) -> Path:
    for folder in TRICKY:
        for name in TRICKY:
            (root / folder / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / folder / name).write_text(name)
    for name in ("a.txt", "a-", "a0.txt", "a.b.c", "Z", "~"):
        (root / name).write_text(name)
        (root / "a" / name).write_text(name)
    if with_ignore_file:  # ignores nothing present, but routes the root through scandir
        (root / ".gitignore").write_text("*.never\n")
    return root


@pytest.mark.parametrize("with_ignore_file", [False, True])
@pytest.mark.parametrize("workers", [1, 3])
def test_paths_come_in_the_order_of_a_sort_of_the_whole_list(
    tmp_path: Path, with_ignore_file: bool, workers: int
) -> None:
    root = _tricky_tree(tmp_path, with_ignore_file)
    relpaths, stats = snapshot_stats(root, workers=workers)
    expected = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert relpaths == expected
    assert snapshot_files(root, workers=workers) == expected
    assert [ino for _, _, _, ino in stats] == [os.stat(root / p).st_ino for p in expected]


@pytest.mark.parametrize("by_descriptor", [True, False])
def test_links_in_a_folder_without_ignored_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_descriptor: bool
) -> None:
    """Read by listing and stat'ing every entry: a link to a file is a file (with the target's
    stat), a link to a folder and a dangling link are left out, as `scandir` leaves them."""
    monkeypatch.setattr(walk, "_BY_FD", by_descriptor and walk._BY_FD)
    (tmp_path / "src" / "inner").mkdir(parents=True)
    (tmp_path / "src" / "inner" / "x.py").write_text("x")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "f.txt").write_text("f")
    os.symlink(tmp_path / "src" / "inner" / "x.py", tmp_path / "plain" / "to-file")
    os.symlink(tmp_path / "src", tmp_path / "plain" / "to-folder")
    os.symlink(tmp_path / "absent", tmp_path / "plain" / "dangling")
    os.mkfifo(tmp_path / "plain" / "fifo")
    relpaths, stats = snapshot_stats(tmp_path)
    assert relpaths == ["plain/f.txt", "plain/to-file", "src/inner/x.py"]
    assert stats.fields(1)[3] == os.stat(tmp_path / "src" / "inner" / "x.py").st_ino
    assert snapshot_files(tmp_path) == relpaths


def test_stat_paths_is_os_stat_of_each_path_whatever_the_folders(tmp_path):
    for relative in ("a/1", "a/2", "a/b/3", "a/b/c/4", "a.b/5", "ab/6", "z"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative * 3)
    (tmp_path / "a" / "link").symlink_to(tmp_path / "z")
    paths = sorted(str(p) for p in tmp_path.rglob("*") if p.is_file())
    assert len(paths) == 8
    stats = stat_paths(paths)
    assert [(s.st_ino, s.st_size) for s in stats] == [
        (os.stat(p).st_ino, os.stat(p).st_size) for p in paths
    ]
    assert stat_paths([]) == []
    missing = str(tmp_path / "a" / "gone")
    with pytest.raises(FileNotFoundError):
        stat_paths([paths[0], missing])
