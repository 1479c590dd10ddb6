"""Transfers between local folders: counts, overwrite, no visible partial files, progress."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlpipelines.errors import UserErrorException
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.fingerprint import fingerprint
from mlpipelines.storage.transfer import (
    TransferError,
    copy,
    download,
    upload_files,
    upload_folder,
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    (src / "sub" / "deep" / "empty").write_bytes(b"")
    return src


def files_below(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_folder_copy_keeps_paths_and_counts(source, tmp_path):
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    result = upload_folder(source, dst, "in")
    assert (result.copied, result.skipped) == (3, 0)
    assert result.bytes == 5 + 300_000
    assert files_below(tmp_path / "dst" / "in") == files_below(source)


def test_existing_files_are_skipped_unless_overwrite(source, tmp_path):
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    upload_folder(source, dst, "in")
    (tmp_path / "dst" / "in" / "a.txt").write_text("changed")
    again = upload_folder(source, dst, "in")
    assert (again.copied, again.skipped) == (0, 3)
    assert (tmp_path / "dst" / "in" / "a.txt").read_text() == "changed"
    forced = upload_folder(source, dst, "in", overwrite=True)
    # Only the changed file is copied: equal size and MD5 means already in place.
    assert (forced.copied, forced.skipped) == (1, 2)
    assert (tmp_path / "dst" / "in" / "a.txt").read_text() == "alpha"


def test_a_single_file_lands_at_the_destination_path(source, tmp_path):
    src = StoreLocation.local(source, "src")
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    copy(src, "sub/b.bin", dst, "renamed.bin")
    expected = (source / "sub" / "b.bin").read_bytes()
    assert (tmp_path / "dst" / "renamed.bin").read_bytes() == expected


def test_upload_files_keeps_paths_below_relative_root(source, tmp_path):
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    files = [source / "a.txt", source / "sub" / "b.bin"]
    result = upload_files(files, dst, "t", relative_root=source)
    assert result.paths == ["t/a.txt", "t/sub/b.bin"]
    flat = upload_files(files, dst, "flat")
    assert flat.paths == ["flat/a.txt", "flat/b.bin"]
    with pytest.raises(UserErrorException, match="not below"):
        upload_files([source / "a.txt"], dst, "x", relative_root=source / "sub")


def test_download_keeps_datastore_paths(source, tmp_path):
    store = StoreLocation.local(source, "store")
    result = download(store, "sub", tmp_path / "out")
    assert result.copied == 2
    assert (tmp_path / "out" / "sub" / "b.bin").is_file()
    assert download(store, "sub", tmp_path / "out").skipped == 2


def test_a_failed_copy_names_the_datastores_and_leaves_nothing_visible(source, tmp_path):
    dst_root = tmp_path / "dst"
    (dst_root / "in").mkdir(parents=True)
    (dst_root / "in" / "sub").write_text("a file where a folder must go")
    dst = StoreLocation.local(dst_root, "target-store")
    with pytest.raises(TransferError) as err:
        upload_folder(source, dst, "in", parallelism=1)
    assert "target-store" in str(err.value)
    assert "in/sub/" in str(err.value)
    leftovers = [p.name for p in dst_root.rglob("*") if ".partial-" in p.name]
    assert leftovers == []


def test_partial_files_of_other_transfers_are_never_copied(source, tmp_path):
    (source / ".a.txt.partial-0123456789ab").write_text("half")
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    assert upload_folder(source, dst, "").copied == 3
    assert not list((tmp_path / "dst").glob(".*partial*"))


def test_missing_source_and_dotdot_are_refused(source, tmp_path):
    src = StoreLocation.local(source, "src")
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    with pytest.raises(UserErrorException, match="nothing to copy at datastore 'src'"):
        copy(src, "missing", dst, "x")
    with pytest.raises(UserErrorException, match="leaves the datastore"):
        copy(src, "../etc", dst, "x")
    with pytest.raises(UserErrorException, match="leaves the datastore"):
        copy(src, "a.txt", dst, "../x")


def test_progress_bar_counts_bytes_and_files(source, tmp_path, capsys):
    dst = StoreLocation.local(tmp_path / "dst", "dst")
    upload_folder(source, dst, "in", show_progress=True)
    out = capsys.readouterr().out
    assert "3/3 files" in out


def test_local_fingerprint_follows_content(source):
    store = StoreLocation.local(source, "store")
    before = fingerprint(store, "sub")
    assert fingerprint(store, "sub") == before
    (source / "sub" / "deep" / "empty").write_bytes(b"now something")
    assert fingerprint(store, "sub") != before
