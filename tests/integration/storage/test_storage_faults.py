"""A storage server that stops mid-transfer: a clear error, no visible partial file, and a
retry that completes once the server is back."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from mlpipelines.storage import StoreLocation
from mlpipelines.storage.fingerprint import list_files
from mlpipelines.storage.transfer import TransferError, download, upload_folder

pytestmark = pytest.mark.integration
FILES = 6
SIZE = 12 * 1024 * 1024


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(FILES):
        (src / f"part-{i}.bin").write_bytes(os.urandom(SIZE))
    return src


def quick_failing(location: StoreLocation) -> StoreLocation:
    """The same store with fewer client retries, so a dead server fails in seconds."""
    options = (*location.options, ("max_attempts", 2), ("retries", 1))
    return StoreLocation(location.datastore, location.kind, location.root, options)


def stop_when(condition, server) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if condition():
                    break
            except Exception:
                pass
            time.sleep(0.005)
        server.stop()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_upload_to_s3_survives_a_server_stop(moto_s3, many_files):
    store = quick_failing(moto_s3.location("flaky-s3"))
    server = moto_s3.server
    port = server.port
    checker = StoreLocation(store.datastore, store.kind, store.root, store.options)
    watcher = stop_when(lambda: checker.fs.exists(checker.path("up/part-0.bin")), server)
    try:
        with pytest.raises(TransferError) as err:
            upload_folder(many_files, store, "up", parallelism=1)
    finally:
        watcher.join(timeout=60)
        server.start()
    assert server.port == port
    message = str(err.value)
    assert "datastore 'flaky-s3'" in message and "up/part-" in message
    visible = list_files(store, "up")
    assert 1 <= len(visible) < FILES
    assert all(info["size"] == SIZE for _, info in visible), "a partial object is visible"
    assert not [rel for rel, _ in visible if ".partial-" in rel]
    retry = upload_folder(many_files, store, "up")
    assert retry.skipped == len(visible)
    assert retry.copied == FILES - len(visible)
    assert [info["size"] for _, info in list_files(store, "up")] == [SIZE] * FILES


def test_download_from_s3_survives_a_server_stop(moto_s3, many_files, tmp_path):
    store = quick_failing(moto_s3.location("flaky-down"))
    upload_folder(many_files, store, "data")
    target = tmp_path / "down"
    server = moto_s3.server
    watcher = stop_when(lambda: (target / "data" / "part-0.bin").exists(), server)
    try:
        with pytest.raises(TransferError, match="datastore 'flaky-down' path 'data/part-"):
            download(store, "data", target, parallelism=1)
    finally:
        watcher.join(timeout=60)
        server.start()
    landed = sorted(p for p in target.rglob("*") if p.is_file())
    assert all(p.stat().st_size == SIZE for p in landed)
    assert not [p for p in landed if ".partial-" in p.name], "a temporary file was left behind"
    retry = download(store, "data", target)
    assert retry.copied + retry.skipped == FILES
    assert retry.skipped == len(landed)
    for i in range(FILES):
        assert (target / "data" / f"part-{i}.bin").read_bytes() == (
            many_files / f"part-{i}.bin"
        ).read_bytes()
