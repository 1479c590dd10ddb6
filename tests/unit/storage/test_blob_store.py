"""Content-addressed blobs on a local folder and on Azurite: stored once, checked on the
way in and out, never visible half-written or under a wrong name."""

from __future__ import annotations

import os

import pytest

from mlpipelines.snapshot import file_digest
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.blob_store import BlobDigestMismatch, BlobStore, cached_blobs

KINDS = ["local", pytest.param("azure_blob", marks=pytest.mark.integration)]


@pytest.fixture(params=KINDS)
def store(request, tmp_path) -> BlobStore:
    if request.param == "local":
        return BlobStore(StoreLocation.local(tmp_path / "datastore", "local"))
    return BlobStore(request.getfixturevalue("azurite").location("blobs"))


def _file(folder, name, data: bytes):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path, file_digest(path)


def _stored(store: BlobStore) -> list[str]:
    """Every file under the blobs folder, temporaries included."""
    fs_root = store.location.path(".mlpipelines/blobs")
    if store.location.is_local:
        return sorted(os.path.join(d, f) for d, _, names in os.walk(fs_root) for f in names)
    store.location.fs.invalidate_cache()
    return sorted(store.location.fs.find(fs_root)) if store.location.fs.exists(fs_root) else []


def test_a_blob_is_stored_once_under_its_digest_and_reads_back(store, tmp_path):
    big, big_digest = _file(tmp_path / "src", "big.bin", os.urandom(9 * 1024 * 1024 + 17))
    small, small_digest = _file(tmp_path / "src", "small.txt", b"hello")
    empty, empty_digest = _file(tmp_path / "src", "empty", b"")
    assert store.missing([big_digest, small_digest, big_digest]) == [big_digest, small_digest]

    assert store.put(big_digest, big) and store.put(small_digest, small)
    assert store.put(empty_digest, empty)
    assert not store.put(small_digest, small), "a stored blob is not written again"
    assert store.missing([big_digest, small_digest, empty_digest]) == []
    assert store.sizes([big_digest, empty_digest]) == {
        big_digest: big.stat().st_size,
        empty_digest: 0,
    }
    assert store.relative(small_digest) == (
        f".mlpipelines/blobs/{store.relative(small_digest).split('/')[2]}/"
        f"{small_digest[:2]}/{small_digest}"
    )
    with store.open(small_digest) as f:
        assert f.read() == b"hello"
    store.get(big_digest, tmp_path / "back" / "big.bin")
    assert (tmp_path / "back" / "big.bin").read_bytes() == big.read_bytes()
    assert len(_stored(store)) == 3, "no temporaries left behind"


def test_bytes_that_do_not_match_their_name_are_never_stored(store, tmp_path):
    _, digest = _file(tmp_path / "src", "a.txt", b"the content named")
    other, _ = _file(tmp_path / "src", "b.txt", b"other content" * 1000)
    with pytest.raises(BlobDigestMismatch, match="hashes to"):
        store.put(digest, other)
    assert store.missing([digest]) == [digest]
    assert _stored(store) == [], "neither the blob nor a temporary is visible"
    assert other.exists(), "a copied source is left alone"


def test_moving_a_staged_file_in_takes_it_whole_or_drops_it(store, tmp_path):
    staged, digest = _file(tmp_path / "staging", "x.part", b"staged bytes")
    assert store.put(digest, staged, move=True)
    assert not staged.exists() and store.has(digest)
    bad, _ = _file(tmp_path / "staging", "y.part", b"changed on the way")
    with pytest.raises(BlobDigestMismatch):
        store.put("0" * 64, bad, move=True)
    assert not bad.exists(), "a file that failed its digest is dropped"


def test_a_machine_cache_fetches_each_blob_once(store, tmp_path):
    paths = {}
    for name in ("a", "b"):
        path, digest = _file(tmp_path / "src", name, name.encode() * 100)
        store.put(digest, path)
        paths[digest] = path
    cache = tmp_path / "cache"
    found = cached_blobs(store, list(paths), cache)
    assert {d: p.read_bytes() for d, p in found.items()} == {
        d: p.read_bytes() for d, p in paths.items()
    }
    before = {d: p.stat().st_ino for d, p in found.items()}
    again = cached_blobs(store, list(paths), cache)
    assert {d: p.stat().st_ino for d, p in again.items()} == before, "not fetched again"
