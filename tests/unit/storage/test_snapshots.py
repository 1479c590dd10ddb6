"""Snapshots on a datastore: a folder on a local one; a listing over blobs on a remote one,
fetched into this machine's cache from blobs fetched once; the old folder layout still
fetches."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from mlpipelines.snapshot import ALGORITHM, take_snapshot
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.blob_store import BlobStore
from mlpipelines.storage.snapshots import (
    fetch_snapshot,
    ship_snapshot,
    snapshot_path,
    store_listed_snapshot,
)
from mlpipelines.storage.transfer import upload_folder

KINDS = ["local", pytest.param("azure_blob", marks=pytest.mark.integration)]


@pytest.fixture(params=KINDS)
def location(request, tmp_path) -> StoreLocation:
    if request.param == "local":
        return StoreLocation.local(tmp_path / "datastore", "local")
    return request.getfixturevalue("azurite").location("code")


@pytest.fixture(autouse=True)
def machine_temp(tmp_path, monkeypatch):
    """This test's own per-machine caches (snapshots and blobs live under the temp folder)."""
    folder = tmp_path / "machine-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _source(folder, **files: bytes):
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def _blob_count(location: StoreLocation) -> int:
    root = location.path(".mlpipelines/blobs")
    if location.is_local:
        return sum(len(names) for _, _, names in os.walk(root))
    location.fs.invalidate_cache()
    return len(location.fs.find(root)) if location.fs.exists(root) else 0


def _read(folder) -> dict[str, bytes]:
    found = {}
    for d, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(d, name), "rb") as f:
                found[os.path.relpath(os.path.join(d, name), folder)] = f.read()
    return found


def test_a_shipped_snapshot_fetches_with_its_files(location, tmp_path):
    src = _source(
        tmp_path / "src",
        **{"train.py": b"print(1)", "pkg/util.py": b"x = 1", "pkg/same.py": b"x = 1"},
    )
    snapshot = take_snapshot(src)
    relative = ship_snapshot(snapshot, location)
    assert relative == snapshot_path(snapshot)
    assert ship_snapshot(snapshot, location) == relative, "shipping again changes nothing"
    folder = fetch_snapshot(location, relative)
    assert _read(folder) == _read(src)
    if not location.is_local:
        listing = json.loads(location.fs.cat_file(location.path(f"{relative}.json")))
        assert listing == {"schema": 2, "algorithm": ALGORITHM, "files": snapshot.files}
        assert _blob_count(location) == 2, "one blob per distinct content"
        assert not location.fs.exists(location.path(relative)), "no folder of files remotely"


@pytest.mark.integration
def test_snapshots_sharing_files_ship_and_fetch_each_content_once(azurite, tmp_path):
    location = azurite.location("shared")
    big = os.urandom(3 * 1024 * 1024)
    src = _source(tmp_path / "src", **{"big.bin": big, "train.py": b"v1"})
    first = take_snapshot(src)
    first_folder = fetch_snapshot(location, ship_snapshot(first, location))
    (src / "train.py").write_bytes(b"v2")
    second = take_snapshot(src)
    second_folder = fetch_snapshot(location, ship_snapshot(second, location))
    assert _blob_count(location) == 3, "only the changed file went up"
    assert _read(second_folder)["train.py"] == b"v2"
    one = os.stat(os.path.join(first_folder, "big.bin"))
    two = os.stat(os.path.join(second_folder, "big.bin"))
    assert one.st_ino == two.st_ino, "both fetched snapshots link the one cached blob"


@pytest.mark.integration
def test_a_snapshot_shipped_before_blobs_still_fetches(azurite, tmp_path):
    """The folder-and-flat-listing layout that submits wrote before blobs existed."""
    location = azurite.location("old")
    src = _source(tmp_path / "src", **{"train.py": b"old", "data/x.csv": b"a,b\n"})
    snapshot = take_snapshot(src)
    relative = snapshot_path(snapshot)
    upload_folder(src, location, relative)
    location.fs.pipe_file(location.path(f"{relative}.json"), json.dumps(snapshot.files).encode())
    assert _read(fetch_snapshot(location, relative)) == _read(src)


def test_a_listed_snapshot_is_built_from_blobs_on_a_local_datastore(tmp_path):
    location = StoreLocation.local(tmp_path / "datastore", "local")
    src = _source(tmp_path / "src", **{"a.py": b"a", "sub/b.py": b"b", "sub/c.py": b"a"})
    snapshot = take_snapshot(src)
    blobs = BlobStore(location)
    for path, digest in snapshot.files.items():
        blobs.put(digest, src / path)
    relative = store_listed_snapshot(location, snapshot.digest, snapshot.files)
    assert relative == snapshot_path(snapshot)
    folder = location.path(relative)
    assert _read(folder) == _read(src)
    linked = os.stat(os.path.join(folder, "sub", "c.py"))
    assert linked.st_ino == os.stat(blobs.path(snapshot.files["a.py"])).st_ino, "hard-linked"
    assert store_listed_snapshot(location, snapshot.digest, snapshot.files) == relative


@pytest.mark.integration
def test_a_listed_snapshot_on_a_remote_datastore_is_its_listing(azurite, tmp_path):
    location = azurite.location("listed")
    src = _source(tmp_path / "src", **{"a.py": b"a"})
    snapshot = take_snapshot(src)
    BlobStore(location).put(snapshot.files["a.py"], src / "a.py")
    relative = store_listed_snapshot(location, snapshot.digest, snapshot.files)
    assert _read(fetch_snapshot(location, relative)) == {"a.py": b"a"}
