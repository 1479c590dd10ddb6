"""The control store (pipelines, records, modules, compute targets) on a local folder and on
Azure Blob, and the bounded local copy of a collection that the loader DAG renders from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.control_mirror import refresh_mirror
from mlpipelines.storage.control_store import DatastoreControlStore, checked_path
from mlpipelines.storage.location import StoreLocation


@pytest.fixture(params=["local", "azure_blob"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DatastoreControlStore:
    if request.param == "local":
        return DatastoreControlStore(StoreLocation.local(tmp_path, "specs"))
    azurite = request.getfixturevalue("azurite")
    return DatastoreControlStore(azurite.location("specs"))


def test_documents_are_written_read_listed_created_once_and_deleted(
    store: DatastoreControlStore,
) -> None:
    store.write("specs/train.json", {"dag_id": "train", "v": 1})
    store.write("specs/train.json", {"dag_id": "train", "v": 2})
    store.write("specs/score.json", {"dag_id": "score"})
    assert store.read("specs/train.json") == {"dag_id": "train", "v": 2}
    assert store.children("specs") == ["score.json", "train.json"]
    assert [d["dag_id"] for d in store.read_all("specs")] == ["score", "train"]

    assert store.create("modules/calc/1.json", {"version": "1"}) is True
    assert store.create("modules/calc/1.json", {"version": "other"}) is False
    assert store.read("modules/calc/1.json") == {"version": "1"}
    assert store.children("modules") == ["calc"]

    store.delete("specs/train.json")
    store.delete("specs/train.json")  # twice is fine
    with pytest.raises(FileNotFoundError):
        store.read("specs/train.json")
    assert store.children("published") == []


@pytest.mark.parametrize(
    "path",
    [
        "reuse/x.json",  # not a control collection: the reuse cache is not reachable here
        "specs/../reuse/x.json",
        "specs/a/b/c/d.json",
        "specs/.hidden.json",
        "specs/x.txt",
        "specs",
        "specs/a b.json",
        "/etc/passwd",
    ],
)
def test_paths_outside_the_collections_are_refused_naming_the_path(path: str) -> None:
    with pytest.raises(UserErrorException, match="control-store"):
        checked_path(path)


def test_a_folder_path_is_accepted_where_a_folder_is_meant() -> None:
    assert checked_path("modules/calc", document=False) == "modules/calc"
    assert checked_path("/specs/", document=False) == "specs"


def test_the_mirror_fetches_changes_only_and_drops_removed_documents(
    azurite: object, tmp_path: Path
) -> None:
    location = azurite.location("specs")  # type: ignore[attr-defined]
    remote = DatastoreControlStore(location)
    remote.write("specs/a.json", {"dag_id": "a"})
    remote.write("specs/b.json", {"dag_id": "b"})
    mirror = tmp_path / "mirror"

    assert refresh_mirror(location, "specs", mirror) is True
    assert sorted(p.name for p in mirror.glob("*.json")) == ["a.json", "b.json"]
    a_written = (mirror / "a.json").stat().st_mtime_ns

    remote.write("specs/b.json", {"dag_id": "b", "changed": True})
    remote.delete("specs/a.json")
    remote.write("specs/c.json", {"dag_id": "c"})
    assert refresh_mirror(location, "specs", mirror) is True
    assert sorted(p.name for p in mirror.glob("*.json")) == ["b.json", "c.json"]
    assert json.loads((mirror / "b.json").read_text())["changed"] is True

    remote.write("specs/a.json", {"dag_id": "a"})
    refresh_mirror(location, "specs", mirror)
    unchanged = (mirror / "a.json").stat().st_mtime_ns
    refresh_mirror(location, "specs", mirror)
    assert (mirror / "a.json").stat().st_mtime_ns == unchanged  # not fetched again
    assert unchanged != a_written


def test_an_unreachable_store_leaves_the_copy_and_returns_within_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A datastore that does not answer: the reader goes on with its copy after the bound."""
    import time

    location = _silent_location()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "kept.json").write_text('{"dag_id": "kept"}')
    monkeypatch.setenv("MLPIPELINES_SPECS_SYNC_TIMEOUT", "1.5")
    started = time.monotonic()
    assert refresh_mirror(location, "specs", mirror) is False
    assert time.monotonic() - started < 5
    assert (mirror / "kept.json").is_file()


def test_an_airflow_process_answers_from_its_kept_copy_when_the_store_is_gone(
    azurite: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DAG file looking up a compute target on a worker: the last answer is kept, and a
    store that stops answering costs at most the bound, not the parse."""
    from mlpipelines.storage.control_store import CachedControlStore

    location = azurite.location("specs")  # type: ignore[attr-defined]
    cached = CachedControlStore(DatastoreControlStore(location), tmp_path / "kept")
    cached.write("compute/gpu.json", {"name": "gpu", "max_nodes": 1})
    assert cached.read("compute/gpu.json")["max_nodes"] == 1
    assert cached.children("compute") == ["gpu.json"]

    gone = _silent_location()
    monkeypatch.setenv("MLPIPELINES_SPECS_SYNC_TIMEOUT", "1")
    offline = CachedControlStore(DatastoreControlStore(gone), tmp_path / "kept")
    assert offline.read("compute/gpu.json") == {"name": "gpu", "max_nodes": 1}
    assert [d["name"] for d in offline.read_all("compute")] == ["gpu"]
    with pytest.raises(Exception, match="did not answer"):
        offline.read("compute/never-kept.json")

    location.fs.rm_file(location.path(".mlpipelines/compute/gpu.json"))
    with pytest.raises(FileNotFoundError):
        cached.read("compute/gpu.json")
    assert not (tmp_path / "kept" / "compute" / "gpu.json").exists()  # gone is forgotten


_SILENT: list[object] = []


def _silent_location() -> StoreLocation:
    """An Azure Blob datastore whose server accepts connections and never answers."""
    import socket
    from types import SimpleNamespace

    from mlpipelines.storage.connections import location_from_connection
    from mlpipelines.storage.registration import registration_body
    from support.storage_servers import AZURITE_ACCOUNT, AZURITE_KEY

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    _SILENT.append(listener)  # kept open for the session: it must stay silent, not refuse
    body = registration_body(
        "azure_blob",
        "silent",
        container="specs",
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        endpoint=f"http://127.0.0.1:{listener.getsockname()[1]}/{AZURITE_ACCOUNT}",
        protocol="http",
    )
    return location_from_connection("silent", SimpleNamespace(**body))
