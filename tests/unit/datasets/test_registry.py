"""The dataset registry: numbered immutable versions on the default datastore, race-free."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from mlpipelines import Datastore, UserErrorException, Workspace
from mlpipelines.datasets.registry import list_versions, read_version, register_on
from mlpipelines.model.dataset import Dataset, FileDataset, TabularDataset
from mlpipelines.storage.location import StoreLocation


@pytest.fixture
def table(store: Datastore, csv_parts: list[Path]) -> TabularDataset:
    return Dataset.Tabular.from_delimited_files((store, "data/*.csv"))


def test_register_and_get_by_name(ws: Workspace, table: TabularDataset) -> None:
    registered = table.register(ws, "sales", description="all sales", tags={"team": "ml"})
    assert (registered.name, registered.version) == ("sales", 1)
    assert registered.description == "all sales"
    assert registered.tags == {"team": "ml"}
    assert uuid.UUID(registered.id)
    record = ws.get_default_datastore().root / ".mlpipelines/datasets/sales/1.json"
    assert json.loads(record.read_text(encoding="utf-8"))["definition"] == table.definition()

    fetched = Dataset.get_by_name(ws, "sales")
    assert isinstance(fetched, TabularDataset)
    assert fetched.to_dict() == registered.to_dict()
    assert fetched.to_pandas_dataframe()["id"].tolist() == list(range(30))
    assert Dataset.get_by_id(ws, registered.id).version == 1
    assert set(Dataset.get_all(ws)) == {"sales"}
    assert table.take(1).name is None


def test_identical_definition_returns_the_existing_version(
    ws: Workspace, table: TabularDataset
) -> None:
    first = table.register(ws, "sales")
    again = Dataset.Tabular.from_delimited_files((ws.datastores["mystore"], "data/*.csv")).register(
        ws, "sales", description="ignored"
    )
    assert again.version == 1 and again.id == first.id
    assert table.register(ws, "sales", create_new_version=True).version == 1


def test_changed_definition_needs_create_new_version(ws: Workspace, table: TabularDataset) -> None:
    table.register(ws, "sales")
    with pytest.raises(UserErrorException, match="create_new_version=True"):
        table.take(5).register(ws, "sales")
    second = table.take(5).register(ws, "sales", create_new_version=True)
    assert second.version == 2
    assert len(Dataset.get_by_name(ws, "sales").to_pandas_dataframe()) == 5
    assert len(Dataset.get_by_name(ws, "sales", version=1).to_pandas_dataframe()) == 30
    assert Dataset.get_by_name(ws, "sales", "2").version == 2


def test_unknown_names_and_versions_list_what_exists(
    ws: Workspace, table: TabularDataset, store: Datastore
) -> None:
    with pytest.raises(
        UserErrorException, match=r"no dataset registered as 'x' \(registered: none"
    ):
        Dataset.get_by_name(ws, "x")
    table.register(ws, "sales")
    Dataset.File.from_files((store, "data")).register(ws, "raw")
    assert isinstance(Dataset.get_by_name(ws, "raw"), FileDataset)
    with pytest.raises(UserErrorException, match=r"registered: raw, sales"):
        Dataset.get_by_name(ws, "sale")
    with pytest.raises(UserErrorException, match=r"no version 3 \(versions: 1\)"):
        Dataset.get_by_name(ws, "sales", 3)
    with pytest.raises(UserErrorException, match="no registered dataset has id"):
        Dataset.get_by_id(ws, "nope")
    with pytest.raises(UserErrorException, match="dataset name"):
        table.register(ws, "../evil")


def test_registry_lives_on_the_default_datastore(
    ws: Workspace, table: TabularDataset, store: Datastore
) -> None:
    ws.set_default_datastore("mystore")
    table.register(ws, "sales")
    assert (store.root / ".mlpipelines/datasets/sales/1.json").is_file()
    # The registry's own files never show up in a dataset of the whole datastore.
    assert all(".mlpipelines" not in p for p in Dataset.File.from_files((store, "")).to_path())


def _race(register: Any, count: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(count)

    def one(i: int) -> None:
        barrier.wait()
        results.append(register(i))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _definition(i: int) -> dict[str, Any]:
    return {"kind": "file", "sources": [{"datastore": "s", "path": f"p{i}"}], "steps": []}


def test_concurrent_local_registrations_get_distinct_versions(ws: Workspace) -> None:
    from mlpipelines.datasets.registry import registry_store

    store = registry_store(ws)
    records = _race(lambda i: register_on(store, "race", _definition(i), None, None, True), 12)
    assert sorted(r["version"] for r in records) == list(range(1, 13))
    for record in records:
        assert read_version(store, "race", record["version"]) == record


def test_concurrent_same_definition_registers_once(ws: Workspace) -> None:
    from mlpipelines.datasets.registry import registry_store

    store = registry_store(ws)
    records = _race(lambda i: register_on(store, "same", _definition(0), None, None, False), 8)
    assert {r["version"] for r in records} == {1}
    assert len({r["id"] for r in records}) == 1


def test_object_store_registration_by_claims() -> None:
    from fsspec.implementations.memory import MemoryFileSystem

    # An object store stand-in: a non-local location whose filesystem is fsspec's memory one.
    store = StoreLocation(datastore="mem", kind="s3", root=f"/reg-{uuid.uuid4().hex}")
    store.__dict__["fs"] = MemoryFileSystem()
    assert not store.is_local
    records = _race(lambda i: register_on(store, "race", _definition(i), None, None, True), 6)
    assert sorted(r["version"] for r in records) == list(range(1, 7))
    assert list_versions(store, "race") == list(range(1, 7))
    for record in records:
        assert read_version(store, "race", record["version"]) == record
