"""The walk's C accelerator: installed in the dev venv, listing what the Python walk lists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlpipelines.snapshot import StatCache, take_snapshot, walk
from mlpipelines.snapshot.stat_column import PACKED, StatColumn
from mlpipelines.snapshot.walk import snapshot_stats

OLD = 1_700_000_000


def test_the_dev_venv_walks_with_the_native_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/bootstrap.sh builds it: a broken build must fail here, not fall back unseen."""
    import mlpipelines_native

    monkeypatch.delenv("MLPIPELINES_NATIVE", raising=False)
    assert walk._native_scan is mlpipelines_native.scan
    assert walk.native_walk()
    monkeypatch.setenv("MLPIPELINES_NATIVE", "0")
    assert not walk.native_walk()


def _tricky_tree(root: Path) -> Path:
    """Nested folders, links of every kind, a FIFO, ignored names and folders, names that are
    not UTF-8, empty folders, and names around "/" in sort order."""
    for relpath in ("a.py", "a-b/x", "a.b/x", "a/x", "a0/x", "src/deep/er/f.py", "src/g.pyc"):
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relpath * 7)
    (root / ".gitignore").write_text("*.pyc\nbuild/\n!keep.pyc\n")
    (root / "src" / "keep.pyc").write_text("kept")
    (root / "build" / "sub").mkdir(parents=True)
    (root / "build" / "sub" / "out.o").write_text("ignored folder")
    (root / "empty" / "emptier").mkdir(parents=True)
    (root / "links").mkdir()
    os.symlink(root / "a.py", root / "links" / "to-file")
    os.symlink(root / "src", root / "links" / "to-folder")
    os.symlink(root / "absent", root / "links" / "dangling")
    os.symlink("../links/to-file", root / "links" / "to-link-to-file")
    os.mkfifo(root / "links" / "fifo")
    odd = os.fsencode(root / "odd")
    os.mkdir(odd)
    for name in (b"\xff.py", b"\xe9t\xe9", "\ue000.py".encode(), b"plain"):
        with open(os.path.join(odd, name), "wb") as f:
            f.write(name)
    os.mkdir(os.path.join(odd, b"\xfe-folder"))
    with open(os.path.join(odd, b"\xfe-folder", b"inside"), "wb") as f:
        f.write(b"inside")
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (OLD, OLD))
    return root


@pytest.mark.parametrize("workers", [1, 2])
def test_native_and_python_walks_list_the_same_files_and_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    root = _tricky_tree(tmp_path)
    monkeypatch.delenv("MLPIPELINES_NATIVE", raising=False)
    native = snapshot_stats(root, workers=workers)
    monkeypatch.setenv("MLPIPELINES_NATIVE", "0")
    python = snapshot_stats(root, workers=workers)
    assert native[0] == python[0]
    assert native[1] == python[1]
    relpaths, stats = native
    assert "links/to-file" in relpaths and "links/to-link-to-file" in relpaths
    assert not any(p.startswith(("build/", "links/to-folder", "links/dangling")) for p in relpaths)
    assert "src/g.pyc" not in relpaths and "src/keep.pyc" in relpaths
    assert "odd/\udcff.py" in relpaths and "odd/\udcfe-folder/inside" in relpaths
    assert relpaths == sorted(relpaths)
    expected = [os.stat(root / p) for p in relpaths]
    assert stats == StatColumn.of(expected)
    assert stats.size(0) == expected[0].st_size and stats.mtime_ns(0) == OLD * 10**9


def test_scan_names_kinds_and_packed_stats(tmp_path: Path) -> None:
    import mlpipelines_native

    root = _tricky_tree(tmp_path)
    names, kinds, packed = mlpipelines_native.scan(root / "links")
    assert names == sorted(os.listdir(root / "links"))
    assert dict(zip(names, kinds.decode(), strict=True)) == {
        "dangling": "g",
        "fifo": "o",
        "to-file": "f",
        "to-folder": "l",
        "to-link-to-file": "f",
    }
    target = os.stat(root / "a.py")
    row = (target.st_size, target.st_mtime_ns, target.st_ctime_ns, target.st_ino)
    assert list(PACKED.iter_unpack(packed)) == [row, row]
    names, kinds, _ = mlpipelines_native.scan(os.fsencode(root / "odd"))
    assert names == sorted(os.listdir(root / "odd")) and names[-1] == "\ue000.py"
    assert kinds.count(b"d") == 1 and names[kinds.index(b"d")] == "\udcfe-folder"
    assert mlpipelines_native.scan(root / "empty" / "emptier") == ([], b"", b"")


def test_scan_raises_as_os_scandir_does(tmp_path: Path) -> None:
    import mlpipelines_native

    with pytest.raises(FileNotFoundError) as missing:
        mlpipelines_native.scan(tmp_path / "absent")
    assert missing.value.filename == tmp_path / "absent"
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        mlpipelines_native.scan(tmp_path / "file")
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(OSError, match="loop") as looped:
        mlpipelines_native.scan(tmp_path)
    assert looped.value.filename == str(tmp_path / "loop")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_raises_permission_error(tmp_path: Path) -> None:
    import mlpipelines_native

    (tmp_path / "closed").mkdir(mode=0)
    try:
        with pytest.raises(PermissionError):
            mlpipelines_native.scan(tmp_path / "closed")
    finally:
        (tmp_path / "closed").chmod(0o700)


def test_an_unchanged_tree_is_one_compare_and_a_changed_file_is_seen(
    tmp_path: Path, walk_mode: str
) -> None:
    root = _tricky_tree(tmp_path / "tree")
    first = take_snapshot(root, cache=StatCache(tmp_path / "cache"))
    cache = StatCache(tmp_path / "cache")
    relpaths, stats = snapshot_stats(root)
    assert cache.unchanged(relpaths, stats) == [first.files[p] for p in relpaths]
    (root / "src" / "deep" / "er" / "f.py").write_text("changed")
    os.utime(root / "src" / "deep" / "er" / "f.py", (OLD, OLD + 1))
    relpaths, stats = snapshot_stats(root)
    again = StatCache(tmp_path / "cache")
    assert again.unchanged(relpaths, stats) is None
    found = again.lookup_listing(relpaths, stats)
    assert [p for p, digest in zip(relpaths, found, strict=True) if digest is None] == [
        "src/deep/er/f.py"
    ]
    second = take_snapshot(root, cache=StatCache(tmp_path / "cache"))
    assert second.files["src/deep/er/f.py"] != first.files["src/deep/er/f.py"]
    assert {p: d for p, d in second.files.items() if p != "src/deep/er/f.py"} == {
        p: d for p, d in first.files.items() if p != "src/deep/er/f.py"
    }


def test_a_datasets_paths_stat_the_same_through_scan_as_through_os_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stat_column_of` lists a long run of one folder's paths with one C scan; a short run,
    a link to a file, a folder among the paths, an unselected file and a missing path all
    come out as `stat_paths` gives them (a missing path raises the same error)."""
    big = tmp_path / "big"
    big.mkdir()
    for i in range(300):
        (big / f"f{i:04d}.txt").write_text("x" * i)
    (big / "sub").mkdir()
    os.symlink(big / "f0001.txt", big / "link.txt")
    small = tmp_path / "small"
    small.mkdir()
    (small / "a.csv").write_text("a")
    selected = sorted(
        [str(p) for p in big.iterdir() if p.name != "f0007.txt"] + [str(small / "a.csv")]
    )
    expected = StatColumn.of(walk.stat_paths(selected))
    assert walk.stat_column_of(selected) == expected
    monkeypatch.setenv("MLPIPELINES_NATIVE", "0")
    assert walk.stat_column_of(selected) == expected
    monkeypatch.delenv("MLPIPELINES_NATIVE")
    missing = sorted([*selected, str(big / "gone.txt")])
    with pytest.raises(FileNotFoundError):
        walk.stat_paths(missing)
    with pytest.raises(FileNotFoundError):
        walk.stat_column_of(missing)
