"""File datasets: relative paths, downloads, mounts, consumption configs and step inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlpipelines import Datastore, UserErrorException
from mlpipelines.datasets import materialize_input
from mlpipelines.model.dataset import (
    Dataset,
    DatasetConsumptionConfig,
    FileDataset,
    TabularDataset,
)


@pytest.fixture
def images(store: Datastore) -> Path:
    """images/{cat,dog}/{1,2}.txt and a hidden partial upload that no dataset includes."""
    for animal in ("cat", "dog"):
        for i in (1, 2):
            path = store.root / "images" / animal / f"{i}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{animal}{i}", encoding="utf-8")
    (store.root / "images" / ".x.uploading").write_text("partial", encoding="utf-8")
    return store.root / "images"


ALL = ["cat/1.txt", "cat/2.txt", "dog/1.txt", "dog/2.txt"]


def test_to_path_is_relative_to_the_base_folder(store: Datastore, images: Path) -> None:
    assert Dataset.File.from_files((store, "images")).to_path() == ALL
    assert Dataset.File.from_files((store, "images/**/*.txt")).to_path() == ALL
    assert Dataset.File.from_files((store, "images/cat/*")).to_path() == ["1.txt", "2.txt"]
    assert Dataset.File.from_files((store, "images/dog/2.txt")).to_path() == ["2.txt"]
    both = Dataset.File.from_files([(store, "images/cat/1.txt"), (store, "images/dog")])
    assert both.to_path() == ["cat/1.txt", "dog/1.txt", "dog/2.txt"]


def test_steps_select_files(store: Datastore, images: Path) -> None:
    files = Dataset.File.from_files((store, "images"))
    assert files.take(1).to_path() == ["cat/1.txt"]
    assert files.skip(3).to_path() == ["dog/2.txt"]
    first, second = files.random_split(0.5, seed=2)
    assert sorted(first.to_path() + second.to_path()) == ALL
    assert not set(first.to_path()) & set(second.to_path())
    assert files.take_sample(0.5, seed=9).to_path() == files.take_sample(0.5, seed=9).to_path()


def test_download_copies_and_refuses_to_overwrite(
    store: Datastore, images: Path, tmp_path: Path
) -> None:
    files = Dataset.File.from_files((store, "images"))
    target = tmp_path / "out"
    paths = files.download(str(target))
    assert paths == [str(target / p) for p in ALL]
    assert (target / "dog" / "2.txt").read_text(encoding="utf-8") == "dog2"
    assert not (target / ".x.uploading").exists()
    with pytest.raises(UserErrorException, match="overwrite=True"):
        files.download(str(target))
    (images / "dog" / "2.txt").write_text("new", encoding="utf-8")
    files.download(str(target), overwrite=True)
    assert (target / "dog" / "2.txt").read_text(encoding="utf-8") == "new"
    default = files.take(1).download()
    assert Path(default[0]).read_text(encoding="utf-8") == "cat1"


def test_clashing_names_are_an_error(store: Datastore, images: Path) -> None:
    # Sources on one datastore are named below their common folder, so they cannot clash...
    one_store = Dataset.File.from_files([(store, "images/cat/*"), (store, "images/dog/*")])
    assert one_store.to_path() == ALL
    # ...sources on two datastores are named below their own folders, and can.
    other = Datastore.register_local_folder(store.workspace, "other", str(images))
    two_stores = Dataset.File.from_files([(store, "images/cat/*"), (other, "dog/*")])
    with pytest.raises(UserErrorException, match=r"would both be '1\.txt'"):
        two_stores.to_path()


def test_mount_of_a_local_folder_is_the_folder(store: Datastore, images: Path) -> None:
    files = Dataset.File.from_files((store, "images"))
    with files.mount() as mounted:
        assert mounted.mount_point == str(images)
        assert os.path.exists(os.path.join(mounted, "cat", "1.txt"))
    assert images.exists()


def test_mount_of_a_selection_is_a_temporary_view(store: Datastore, images: Path) -> None:
    files = Dataset.File.from_files((store, "images/**/1.txt"))
    context = files.mount()
    context.start()
    folder = Path(context.mount_point)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*.txt")) == [
        "cat/1.txt",
        "dog/1.txt",
    ]
    assert (folder / "dog" / "1.txt").read_text(encoding="utf-8") == "dog1"
    context.stop()
    assert not folder.exists()
    assert (images / "dog" / "1.txt").exists()


def test_consumption_config_modes_and_round_trip(store: Datastore, images: Path) -> None:
    files = Dataset.File.from_files((store, "images"))
    direct = files.as_named_input("pics")
    assert (direct.name, direct.mode, direct.dataset) == ("pics", "direct", files)
    download = direct.as_download("/data/pics")
    assert (download.mode, download.path_on_compute) == ("download", "/data/pics")
    assert files.as_named_input("pics").as_mount().mode == "mount"
    record = json.loads(json.dumps(download.to_dict()))
    rebuilt = DatasetConsumptionConfig.from_dict(record, store.workspace)
    assert rebuilt.to_dict() == download.to_dict()
    assert isinstance(rebuilt.dataset, FileDataset)

    table = Dataset.Tabular.from_delimited_files((store, "images/cat/1.txt"))
    with pytest.raises(UserErrorException, match="only a FileDataset"):
        table.as_named_input("t").as_download()
    with pytest.raises(UserErrorException, match="identifier"):
        files.as_named_input("not a name")


def test_materialize_input(
    store: Datastore, images: Path, tmp_path: Path, csv_parts: list[Path]
) -> None:
    work = tmp_path / "work"
    ws = store.workspace
    table = Dataset.Tabular.from_delimited_files((store, "data/*.csv")).take(4)
    record = json.loads(json.dumps(table.as_named_input("t").to_dict()))
    got = DatasetConsumptionConfig.from_dict(record, ws).dataset
    assert isinstance(got, TabularDataset)
    with pytest.raises(UserErrorException, match="mode 'direct' has no folder"):
        materialize_input(record, str(work), ws)
    assert got.to_pandas_dataframe()["id"].tolist() == [0, 1, 2, 3]

    files = Dataset.File.from_files((store, "images"))
    down = materialize_input(files.as_named_input("pics").as_download().to_dict(), str(work), ws)
    assert down == str(work / "pics")
    assert (work / "pics" / "dog" / "2.txt").read_text(encoding="utf-8") == "dog2"
    again = materialize_input(files.as_named_input("pics").as_download().to_dict(), str(work), ws)
    assert again == down

    custom = files.as_named_input("pics").as_download("inputs/p").to_dict()
    assert materialize_input(custom, str(work), ws) == str(work / "inputs" / "p")

    mounted = materialize_input(files.as_named_input("pics").as_mount().to_dict(), str(work), ws)
    assert mounted == str(images)
    subset = files.take(1).as_named_input("one").as_mount().to_dict()
    view = materialize_input(subset, str(work), ws)
    assert view == str(work / "one")
    assert (work / "one" / "cat" / "1.txt").read_text(encoding="utf-8") == "cat1"
