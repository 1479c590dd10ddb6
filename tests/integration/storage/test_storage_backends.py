"""Every datastore kind against a real server: Azurite (Blob), moto (S3), Samba (Azure Files)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from mlpipelines.storage import DatastoreAccessError, StoreLocation, open_datastore
from mlpipelines.storage.fingerprint import fingerprint, list_files
from mlpipelines.storage.registration import environment_name, environment_value
from mlpipelines.storage.transfer import copy, download, upload_folder
from support.storage_fixtures import location_of

pytestmark = pytest.mark.integration
KINDS = ["azure_blob", "s3", "azure_file"]


@pytest.fixture
def stores(request, tmp_path):
    """name -> a fresh location of each kind, plus a local folder."""

    def make(kind: str, name: str) -> StoreLocation:
        if kind == "local":
            return StoreLocation.local(tmp_path / name, name)
        fixture = {"azure_blob": "azurite", "s3": "moto_s3", "azure_file": "samba"}[kind]
        return request.getfixturevalue(fixture).location(name)

    return make


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(9 * 1024 * 1024 + 17))
    (src / "sub" / "deep" / "empty").write_bytes(b"")
    return src


def files_below(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_overwrite_and_fingerprint(kind, stores, source, tmp_path):
    store = stores(kind, f"rt-{kind.replace('_', '-')}")
    store.check()
    first = upload_folder(source, store, "data")
    assert (first.copied, first.skipped) == (3, 0)
    assert sorted(rel for rel, _ in list_files(store, "data")) == [
        "a.txt", "sub/b.bin", "sub/deep/empty",
    ]  # fmt: skip
    assert upload_folder(source, store, "data").skipped == 3
    print_before = fingerprint(store, "data")
    assert print_before == fingerprint(store, "data")
    (source / "a.txt").write_text("beta!")
    forced = upload_folder(source, store, "data", overwrite=True)
    assert forced.copied >= 1
    assert fingerprint(store, "data") != print_before
    got = download(store, "data", tmp_path / "down")
    assert got.copied == 3
    assert files_below(tmp_path / "down" / "data") == files_below(source)
    assert store.fs.cat_file(store.path("data/a.txt")) == b"beta!"


@pytest.mark.parametrize("src_kind", ["local", *KINDS])
@pytest.mark.parametrize("dst_kind", ["local", *KINDS])
def test_copy_between_any_two_kinds(src_kind, dst_kind, stores, source, tmp_path):
    src = stores(src_kind, "from")
    dst = stores(dst_kind, "to")
    upload_folder(source, src, "in")
    result = copy(src, "in", dst, "out/x")
    assert (result.copied, result.bytes) == (3, 5 + 9 * 1024 * 1024 + 17)
    single = copy(src, "in/sub/b.bin", dst, "one.bin")
    assert single.copied == 1
    download(dst, "", tmp_path / "check")
    assert files_below(tmp_path / "check" / "out" / "x") == files_below(source)
    assert (tmp_path / "check" / "one.bin").read_bytes() == (source / "sub" / "b.bin").read_bytes()
    hidden = [rel for rel, _ in list_files(dst, "")] + [
        p.name for p in (tmp_path / "check").rglob("*")
    ]
    assert not [name for name in hidden if ".partial-" in name]


@pytest.mark.parametrize("kind", KINDS)
def test_open_datastore_and_hooks_read_connections_of_each_kind(kind, request, monkeypatch, source):
    fixture = {"azure_blob": "azurite", "s3": "moto_s3", "azure_file": "samba"}[kind]
    body = request.getfixturevalue(fixture).connection_body("conn-store")
    monkeypatch.setenv(environment_name("conn-store"), environment_value(body))
    store = open_datastore("conn-store")
    assert (store.datastore, store.kind) == ("conn-store", kind)
    store.check()
    upload_folder(source, store, "via-conn")
    from mlpipelines.hooks.datastore import DatastoreHook

    hook_class = next(c for c in DatastoreHook.__subclasses__() if c.conn_type == body["conn_type"])
    hook = hook_class("conn-store")
    assert hook.test_connection()[0] is True
    assert hook.fs.exists(hook.location.path("via-conn/a.txt"))


# moto accepts any key pair, so S3 has no wrong-credentials case here (see the missing-bucket
# test for S3's refusal path).
@pytest.mark.parametrize("kind", ["azure_blob", "azure_file"])
def test_wrong_credentials_are_a_clear_error_without_the_secret(kind, request, caplog):
    fixture = {"azure_blob": "azurite", "s3": "moto_s3", "azure_file": "samba"}[kind]
    body = request.getfixturevalue(fixture).connection_body("badcreds")
    wrong = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk=" if kind == "azure_blob" else "wrong-pw"
    body = {**body, "password": wrong}
    store = location_of(body)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DatastoreAccessError) as err:
        store.check()
    message = str(err.value)
    assert "datastore 'badcreds'" in message
    assert wrong not in message
    assert wrong not in repr(store)
    assert wrong not in caplog.text


def test_a_missing_bucket_or_container_is_named(azurite, moto_s3):
    for handle in (azurite, moto_s3):
        body = handle.connection_body("gone")
        extra = body["extra"].replace('"c-', '"zz-').replace('"b-', '"zz-')
        store = location_of({**body, "extra": extra})
        with pytest.raises(DatastoreAccessError, match=r"datastore 'gone'.*cannot be listed"):
            store.check()
