"""Digests of files, snapshots and trees: correct, portable, and cached by stat."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from mlpipelines.snapshot import (
    ALGORITHM,
    Snapshot,
    StatCache,
    copy_snapshot,
    default_cache_dir,
    diff_files,
    file_digest,
    hash_files,
    take_snapshot,
    tree_fingerprint,
)
from mlpipelines.snapshot import digest as digest_module

OLD = time.time() - 3600  # files older than the stat cache's racy window


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("stat-cache")
    monkeypatch.setenv("MLPIPELINES_CACHE_DIR", str(folder))
    return folder


def reference(data: bytes) -> str:
    if ALGORITHM == "blake3":
        import blake3

        return blake3.blake3(data).hexdigest()
    return hashlib.sha256(data).hexdigest()


def make_tree(root: Path, files: dict[str, bytes | str], age: float | None = OLD) -> Path:
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        if age is not None:
            os.utime(path, (age, age))
    return root


class CountingReader:
    """Wraps the digest module's one-file reader, recording the files actually read."""

    def __init__(self, read) -> None:  # type: ignore[no-untyped-def]
        self.read = read
        self.paths: list[str] = []

    def __call__(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.paths.append(os.fspath(path))
        return self.read(path, *args, **kwargs)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> CountingReader:
    counter = CountingReader(digest_module._digest)
    monkeypatch.setattr(digest_module, "_digest", counter)
    return counter


@pytest.mark.parametrize("size", [0, 1, 4096, (1 << 20) + 7])
def test_file_digest_is_the_hash_of_the_bytes(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    assert file_digest(tmp_path / "f") == reference(data)


def test_big_file_written_in_chunks_is_hashed_correctly(tmp_path: Path) -> None:
    expected = hashlib.sha256()
    expected_b3 = None
    if ALGORITHM == "blake3":
        import blake3

        expected_b3 = blake3.blake3()
    with open(tmp_path / "big", "wb") as f:
        for _ in range(20):
            chunk = os.urandom(1_000_000)
            f.write(chunk)
            expected.update(chunk)
            if expected_b3 is not None:
                expected_b3.update(chunk)
    want = expected_b3.hexdigest() if expected_b3 is not None else expected.hexdigest()
    assert file_digest(tmp_path / "big") == want
    assert hash_files(tmp_path, ["big"], workers=2) == {"big": want}


def test_without_blake3_files_hash_with_sha256(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_module, "_blake3", None)
    data = os.urandom(3 << 20)
    (tmp_path / "f").write_bytes(data)
    assert file_digest(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_hash_files_in_a_thread_pool_match_one_by_one(tmp_path: Path) -> None:
    files = {f"d{i % 7}/f{i}": os.urandom(i * 997) for i in range(300)}
    files["large"] = os.urandom(9 << 20)
    make_tree(tmp_path, files)
    order = sorted(files, reverse=True)
    digests = hash_files(tmp_path, order, workers=2)
    assert list(digests) == order
    assert digests == {relpath: reference(data) for relpath, data in files.items()}
    assert hash_files(tmp_path, order, workers=1) == digests


def test_unchanged_tree_is_not_read_again(tmp_path: Path, reads: CountingReader) -> None:
    make_tree(tmp_path / "src", {"a.py": "a", "pkg/b.py": "b", "pkg/c.txt": "c"})
    first = take_snapshot(tmp_path / "src")
    assert len(reads.paths) == 3
    reads.paths.clear()
    again = take_snapshot(tmp_path / "src")  # a new StatCache, loaded from disk
    assert reads.paths == []
    assert again == first


def test_cache_is_invalidated_by_size_and_by_mtime(tmp_path: Path, reads: CountingReader) -> None:
    root = make_tree(tmp_path / "src", {"same_size.txt": "aaaa", "grows.txt": "x", "keep": "k"})
    take_snapshot(root)
    (root / "same_size.txt").write_text("bbbb")
    os.utime(root / "same_size.txt", (OLD - 60, OLD - 60))
    (root / "grows.txt").write_text("xy")
    os.utime(root / "grows.txt", (OLD, OLD))
    reads.paths.clear()
    snapshot = take_snapshot(root)
    assert sorted(os.path.basename(p) for p in reads.paths) == ["grows.txt", "same_size.txt"]
    assert snapshot.files["same_size.txt"] == reference(b"bbbb")
    assert snapshot.files["grows.txt"] == reference(b"xy")


def test_recently_modified_file_is_read_again(tmp_path: Path, reads: CountingReader) -> None:
    root = make_tree(tmp_path / "src", {"old.py": "o"})
    make_tree(root, {"fresh.py": "f"}, age=None)
    take_snapshot(root)
    reads.paths.clear()
    take_snapshot(root)
    assert [os.path.basename(p) for p in reads.paths] == ["fresh.py"]


@pytest.mark.parametrize("garbage", [b"", b"not a cache", None])
def test_corrupt_cache_file_is_ignored(tmp_path: Path, garbage: bytes | None) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "a", "b.py": "b"})
    expected = take_snapshot(root)
    cache = StatCache.for_root(root)
    assert cache.path is not None and len(cache) == 2
    if garbage is None:  # one flipped byte in the payload
        data = bytearray(Path(cache.path).read_bytes())
        data[-5] ^= 0xFF
        garbage = bytes(data)
    Path(cache.path).write_bytes(garbage)
    assert len(StatCache.for_root(root)) == 0
    assert take_snapshot(root) == expected
    assert len(StatCache.for_root(root)) == 2


def test_unwritable_cache_folder_does_not_fail_the_snapshot(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "a"})
    (tmp_path / "not-a-folder").write_text("")
    cache = StatCache.for_root(root, cache_dir=tmp_path / "not-a-folder" / "stat")
    assert take_snapshot(root, cache=cache).files == {"a.py": reference(b"a")}


def test_cache_folder_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLPIPELINES_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == str(tmp_path / "explicit")
    monkeypatch.delenv("MLPIPELINES_CACHE_DIR")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    assert default_cache_dir() == str(tmp_path / "home" / "mlpipelines" / ".cache" / "stat")
    root = make_tree(tmp_path / "src", {"a.py": "a"})
    take_snapshot(root)
    assert len(os.listdir(tmp_path / "home" / "mlpipelines" / ".cache" / "stat")) == 1


def test_cache_forgets_deleted_files(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "a", "b.py": "b"})
    take_snapshot(root)
    (root / "b.py").unlink()
    take_snapshot(root)
    assert len(StatCache.for_root(root)) == 1


SOURCE = {
    "train.py": "print('train')\n",
    "pkg/__init__.py": "",
    "pkg/model.py": "W = 1\n",
    "data/blob.bin": os.urandom(70_000),
    ".amlignore": "*.log\n",
    "run.log": "noise",
}


def test_snapshot_is_the_same_wherever_the_tree_lives(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "one", SOURCE)
    second = tmp_path / "elsewhere" / "two"
    shutil.copytree(first, second, copy_function=shutil.copy)  # new inodes and mtimes
    a, b = take_snapshot(first), take_snapshot(second)
    assert (a.root, b.root) == (str(first), str(second))
    assert a.files == b.files
    assert a.digest == b.digest
    assert a.digest.startswith(f"{ALGORITHM}:")
    assert list(a.files) == sorted(a.files) and "run.log" not in a.files


def test_relative_root_gives_absolute_root_and_same_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "src", SOURCE)
    monkeypatch.chdir(tmp_path)
    snapshot = take_snapshot("src")
    assert isinstance(snapshot, Snapshot)
    assert snapshot.root == str(root)
    assert snapshot.digest == take_snapshot(root).digest


def test_touching_a_file_keeps_the_digest(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", SOURCE)
    before = take_snapshot(root)
    os.utime(root / "pkg" / "model.py")
    assert take_snapshot(root).digest == before.digest


def test_one_changed_byte_changes_the_digest_and_is_reported(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", SOURCE)
    before = take_snapshot(root)
    blob = bytearray((root / "data" / "blob.bin").read_bytes())
    blob[12_345] ^= 1
    (root / "data" / "blob.bin").write_bytes(bytes(blob))
    after = take_snapshot(root)
    assert after.digest != before.digest
    assert diff_files(before.files, after.files) == {
        "added": [],
        "removed": [],
        "changed": ["data/blob.bin"],
    }


def test_added_and_removed_files_are_reported(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", SOURCE)
    before = take_snapshot(root)
    (root / "pkg" / "model.py").unlink()
    make_tree(root, {"pkg/new.py": "", "z.py": "", "ignored.log": ""})
    after = take_snapshot(root)
    assert diff_files(before.files, after.files) == {
        "added": ["pkg/new.py", "z.py"],
        "removed": ["pkg/model.py"],
        "changed": [],
    }
    assert after.digest != before.digest


def test_renaming_a_file_changes_the_digest(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "same"})
    before = take_snapshot(root)
    (root / "a.py").rename(root / "b.py")
    assert take_snapshot(root).digest != before.digest


def test_copy_snapshot_copies_exactly_the_kept_files(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", SOURCE)
    (root / "train.py").chmod(0o755)
    snapshot = take_snapshot(root)
    copy_snapshot(snapshot, tmp_path / "dest")
    copied = sorted(
        p.relative_to(tmp_path / "dest").as_posix()
        for p in (tmp_path / "dest").rglob("*")
        if p.is_file()
    )
    assert copied == list(snapshot.files)
    assert "run.log" not in copied
    assert stat.S_IMODE((tmp_path / "dest" / "train.py").stat().st_mode) == 0o755
    assert take_snapshot(tmp_path / "dest").files == snapshot.files


def test_fingerprint_of_a_file_and_of_a_folder_holding_it_differ(tmp_path: Path) -> None:
    make_tree(tmp_path / "folder", {"x.csv": "1,2\n"})
    content = reference(b"1,2\n")
    assert tree_fingerprint(tmp_path / "folder" / "x.csv") == f"{ALGORITHM}:{content}"
    assert tree_fingerprint(tmp_path / "folder") != tree_fingerprint(tmp_path / "folder" / "x.csv")


def test_empty_folder_has_a_fixed_fingerprint_unlike_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "empty").write_bytes(b"")
    assert tree_fingerprint(tmp_path / "a") == tree_fingerprint(tmp_path / "b")
    assert tree_fingerprint(tmp_path / "a") != tree_fingerprint(tmp_path / "empty")


def test_fingerprint_of_a_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        tree_fingerprint(tmp_path / "absent")


def test_folder_fingerprint_covers_every_file_and_path(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", {"a/1.csv": "1", "b.csv": "2", ".gitignore": "*.csv\n"})
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, copy_function=shutil.copy)
    before = tree_fingerprint(root)
    assert tree_fingerprint(copy) == before  # no ignore rules, and portable
    (copy / "b.csv").write_text("3")
    assert tree_fingerprint(copy) != before
    (copy / "b.csv").write_text("2")
    (copy / "a" / "1.csv").rename(copy / "1.csv")
    assert tree_fingerprint(copy) != before


def test_folder_fingerprint_with_a_cache_reads_only_changes(
    tmp_path: Path, reads: CountingReader
) -> None:
    root = make_tree(tmp_path / "data", {"a.csv": "1", "b.csv": "2"})
    cache = StatCache.for_root(root)
    first = tree_fingerprint(root, cache=cache)
    make_tree(root, {"b.csv": "3"})
    reads.paths.clear()
    second = tree_fingerprint(root, cache=StatCache.for_root(root))
    assert [os.path.basename(p) for p in reads.paths] == ["b.csv"]
    assert second != first


def test_snapshot_without_ignored_files_equals_the_folder_fingerprint(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "a", "pkg/b.py": "b"})
    assert take_snapshot(root).digest == tree_fingerprint(root)
