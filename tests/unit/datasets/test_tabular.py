"""Tabular datasets on a local datastore: sources, reader options, steps, errors, laziness."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pyarrow.csv import WriteOptions

from mlpipelines import Datastore, UserErrorException, Workspace
from mlpipelines.model.dataset import (
    DataPath,
    Dataset,
    DataType,
    TabularDataset,
)


def ids(dataset: TabularDataset) -> list[int]:
    return dataset.to_pandas_dataframe()["id"].tolist()


def test_glob_reads_every_file_in_path_order(store: Datastore, csv_parts: list[Path]) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"))
    frame = dataset.to_pandas_dataframe()
    assert frame["id"].tolist() == list(range(30))
    assert list(frame.columns) == ["id", "name", "score"]
    assert str(frame["id"].dtype) == "int64"
    assert str(frame["score"].dtype) == "float64"


def test_sources_as_list_datapath_folder_and_recursive_glob(
    store: Datastore, csv_parts: list[Path]
) -> None:
    listed = Dataset.Tabular.from_delimited_files(
        [(store, "data/part2.csv"), (store, "data/part0.csv")]
    )
    assert ids(listed) == list(range(20, 30)) + list(range(10))
    assert ids(Dataset.Tabular.from_delimited_files(DataPath(store, "data/part1.csv"))) == list(
        range(10, 20)
    )
    assert len(ids(Dataset.Tabular.from_delimited_files((store, "data")))) == 30
    assert len(ids(Dataset.Tabular.from_delimited_files((store, "**/*.csv")))) == 30


def test_include_path_adds_datastore_relative_path_column(
    store: Datastore, csv_parts: list[Path]
) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"), include_path=True)
    frame = dataset.to_pandas_dataframe()
    assert list(frame.columns) == ["Path", "id", "name", "score"]
    assert frame["Path"].tolist() == [f"data/part{i}.csv" for i in range(3) for _ in range(10)]
    assert dataset.skip(12).take(3).to_pandas_dataframe()["Path"].tolist() == ["data/part1.csv"] * 3
    assert list(dataset.drop_columns("Path").to_pandas_dataframe().columns) == [
        "id",
        "name",
        "score",
    ]


def test_reader_options(store: Datastore, write_csv: Callable[..., Path]) -> None:
    write_csv(
        store.root / "semi.csv",
        {"a": [1, 2], "b": ["x", ""], "when": ["2024-01-02", "2024-02-03"]},
        write_options=WriteOptions(delimiter=";"),
    )
    semi = Dataset.Tabular.from_delimited_files((store, "semi.csv"), separator=";")
    frame = semi.to_pandas_dataframe()
    assert frame["a"].tolist() == [1, 2]
    assert frame["b"].isna().tolist() == [False, True]

    as_text = Dataset.Tabular.from_delimited_files(
        (store, "semi.csv"), separator=";", infer_column_types=False, empty_as_string=True
    ).to_pandas_dataframe()
    assert as_text["a"].tolist() == ["1", "2"]
    assert as_text["b"].tolist() == ["x", ""]

    typed = Dataset.Tabular.from_delimited_files(
        (store, "semi.csv"),
        separator=";",
        set_column_types={"a": DataType.to_float(), "when": DataType.to_datetime("%Y-%m-%d")},
    ).to_pandas_dataframe()
    assert str(typed["a"].dtype) == "float64"
    assert str(typed["when"].dtype).startswith("datetime64")

    (store.root / "nohead.csv").write_text("1,x\n2,y\n", encoding="utf-8")
    frame = Dataset.Tabular.from_delimited_files(
        (store, "nohead.csv"), header=False
    ).to_pandas_dataframe()
    assert list(frame.columns) == ["Column1", "Column2"]
    assert frame["Column1"].tolist() == [1, 2]


def test_parquet_files_and_set_column_types(
    store: Datastore, write_parquet: Callable[..., Path]
) -> None:
    for i in range(2):
        write_parquet(store.root / "pq" / f"p{i}.parquet", {"id": [i * 2, i * 2 + 1], "v": [1, 2]})
    dataset = Dataset.Tabular.from_parquet_files(
        (store, "pq/*.parquet"), include_path=True, set_column_types={"v": "string"}
    )
    frame = dataset.to_pandas_dataframe()
    assert frame["id"].tolist() == [0, 1, 2, 3]
    assert frame["v"].tolist() == ["1", "2", "1", "2"]
    assert frame["Path"].tolist() == ["pq/p0.parquet"] * 2 + ["pq/p1.parquet"] * 2


def test_take_skip_and_columns(store: Datastore, csv_parts: list[Path]) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"))
    assert ids(dataset.take(3)) == [0, 1, 2]
    assert ids(dataset.skip(27)) == [27, 28, 29]
    assert ids(dataset.skip(5).take(3).skip(1)) == [6, 7]
    assert ids(dataset.take(100)) == list(range(30))
    kept = dataset.keep_columns(["score", "id"]).to_pandas_dataframe()
    assert list(kept.columns) == ["id", "score"]
    assert list(dataset.drop_columns(["name"]).to_pandas_dataframe().columns) == ["id", "score"]


def test_random_split_partitions_and_is_deterministic(
    store: Datastore, csv_parts: list[Path]
) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"))
    first, second = dataset.random_split(0.3, seed=7)
    a, b = ids(first), ids(second)
    assert sorted(a + b) == list(range(30))
    assert not set(a) & set(b)
    again, _ = dataset.random_split(0.3, seed=7)
    assert ids(again) == a
    # Without a seed one is drawn at creation: the two parts still partition the rows.
    x, y = dataset.skip(2).random_split(0.5)
    assert sorted(ids(x) + ids(y)) == list(range(2, 30))
    # A split of a rebuilt definition selects the same rows.
    assert ids(Dataset.from_dict(json.loads(json.dumps(first.to_dict())), store.workspace)) == a


def test_take_sample_is_deterministic_with_a_seed(store: Datastore, csv_parts: list[Path]) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"))
    sample = ids(dataset.take_sample(0.5, seed=3))
    assert sample == ids(dataset.take_sample(0.5, seed=3))
    assert 0 < len(sample) < 30
    assert sample == sorted(sample)
    assert ids(dataset.take_sample(1.0, seed=1)) == list(range(30))
    assert ids(dataset.take_sample(0.0, seed=1)) == []


def test_to_dict_round_trips_and_names_datastore_only(
    store: Datastore, csv_parts: list[Path]
) -> None:
    dataset = (
        Dataset.Tabular.from_delimited_files(
            [(store, "data/part0.csv"), (store, "data/part1.csv")],
            set_column_types={"id": DataType.to_long()},
        )
        .skip(1)
        .take_sample(0.8, seed=4)
        .keep_columns("id")
    )
    record = dataset.to_dict()
    text = json.dumps(record)
    assert str(store.root) not in text
    assert record["sources"][0] == {"datastore": "mystore", "path": "data/part0.csv"}
    rebuilt = Dataset.from_dict(json.loads(text), store.workspace)
    assert isinstance(rebuilt, TabularDataset)
    assert rebuilt.to_dict() == record
    assert rebuilt == dataset
    assert ids(rebuilt) == ids(dataset)


def test_building_and_transforming_read_nothing(store: Datastore, csv_parts: list[Path]) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"))
    for part in csv_parts:
        part.unlink()
    dataset.take(3).skip(1).keep_columns(["id"]).random_split(0.5, seed=1)
    Dataset.Tabular.from_delimited_files((store, "later/*.csv"), validate=False)
    with pytest.raises(UserErrorException, match="matched no files"):
        dataset.to_pandas_dataframe()


def test_model_imports_no_pyarrow_pandas_or_airflow() -> None:
    code = (
        "import sys, mlpipelines.model.dataset, mlpipelines.azureml.core.dataset;"
        "bad = [m for m in ('pyarrow', 'pandas', 'fsspec', 'airflow') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- errors ---------------------------------------------------------------------------------


def test_glob_matching_nothing_names_datastore_and_path(store: Datastore) -> None:
    with pytest.raises(UserErrorException, match=r"datastore 'mystore' path 'nope/\*\.csv'"):
        Dataset.Tabular.from_delimited_files((store, "nope/*.csv"))
    with pytest.raises(UserErrorException, match="matched no files"):
        Dataset.File.from_files((store, "missing.bin"))


def test_missing_datastore_is_named(ws: Workspace) -> None:
    with pytest.raises(UserErrorException, match=r"datastore 'ghost'.*no datastore named 'ghost'"):
        Dataset.Tabular.from_delimited_files(("ghost", "x.csv"))
    lazy = Dataset.Tabular.from_delimited_files(("ghost", "x.csv"), validate=False)
    with pytest.raises(UserErrorException, match="ghost"):
        lazy.to_pandas_dataframe()


def test_datastore_path_is_a_dataset_path_as_in_the_samples(store: Datastore) -> None:
    from_path = Dataset.Tabular.from_delimited_files(store.path("data/x.csv"), validate=False)
    from_tuple = Dataset.Tabular.from_delimited_files((store, "data/x.csv"), validate=False)
    assert from_path.definition() == from_tuple.definition()
    assert from_path.definition()["sources"] == [{"datastore": store.name, "path": "data/x.csv"}]


def test_paths_leaving_the_datastore_and_bad_paths_are_refused(store: Datastore) -> None:
    with pytest.raises(UserErrorException, match=r"'\.\./secret\.csv' leaves the datastore"):
        Dataset.Tabular.from_delimited_files((store, "../secret.csv"), validate=False)
    with pytest.raises(UserErrorException, match="leaves the datastore"):
        Dataset.File.from_files([(store, "ok"), (store, "a/../../b")], validate=False)
    with pytest.raises(UserErrorException, match="names no datastore"):
        Dataset.Tabular.from_delimited_files("data/*.csv")
    with pytest.raises(UserErrorException, match=r"'\.\./up' leaves the datastore"):
        Dataset.File.from_files(store.path("../up"), validate=False)
    with pytest.raises(UserErrorException, match="carries a credential"):
        Dataset.File.from_files("https://acct.blob.core.windows.net/c/x.csv?sv=1&sig=abc")
    with pytest.raises(UserErrorException, match="at least one path"):
        Dataset.File.from_files([])


def test_bad_column_names_are_named(store: Datastore, csv_parts: list[Path]) -> None:
    dataset = Dataset.Tabular.from_delimited_files((store, "data/*.csv"))
    with pytest.raises(UserErrorException, match=r"keep_columns: no column 'nmae'.*columns: id"):
        dataset.keep_columns(["id", "nmae"]).to_pandas_dataframe()
    with pytest.raises(UserErrorException, match="drop_columns: no column 'name'"):
        dataset.keep_columns("id").drop_columns("name").to_pandas_dataframe()
    with pytest.raises(UserErrorException, match="set_column_types: no column 'zzz'"):
        Dataset.Tabular.from_delimited_files(
            (store, "data/*.csv"), set_column_types={"zzz": "long"}
        ).to_pandas_dataframe()
    with pytest.raises(UserErrorException, match="non-negative int"):
        dataset.take(-1)
    with pytest.raises(UserErrorException, match=r"random_split percentage"):
        dataset.random_split(1.5)


def test_unreadable_data_names_the_source(store: Datastore) -> None:
    (store.root / "bad.csv").write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(UserErrorException, match="cannot read tabular dataset from datastore"):
        Dataset.Tabular.from_delimited_files((store, "bad.csv")).to_pandas_dataframe()


# -- URLs and volume ------------------------------------------------------------------------


def test_http_url_source(tmp_path: Path, write_csv: Callable[..., Path]) -> None:
    import functools
    import http.server
    import threading

    write_csv(tmp_path / "web" / "table.csv", {"id": [1, 2, 3]})

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path / "web"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/table.csv"
        dataset = Dataset.Tabular.from_delimited_files(url, include_path=True)
        frame = dataset.to_pandas_dataframe()
        assert frame["id"].tolist() == [1, 2, 3]
        assert frame["Path"].tolist() == [url] * 3
        assert Dataset.File.from_files(url).to_path() == ["table.csv"]
        with pytest.raises(UserErrorException, match="matched no files"):
            Dataset.File.from_files(url.replace("table", "nothing"))
    finally:
        server.shutdown()


def test_hundred_files_are_one_scan(
    store: Datastore,
    write_csv: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import numpy as np
    import pyarrow.dataset as pds

    rows = 10_000
    for i in range(100):
        write_csv(
            store.root / "many" / f"f{i:03d}.csv",
            {"id": np.arange(i * rows, (i + 1) * rows), "x": np.linspace(0, 1, rows)},
        )
    calls = []
    real = pds.dataset
    monkeypatch.setattr(pds, "dataset", lambda *a, **k: calls.append(a) or real(*a, **k))
    dataset = Dataset.Tabular.from_delimited_files((store, "many/*.csv"))
    started = time.perf_counter()
    frame = dataset.to_pandas_dataframe()
    elapsed = time.perf_counter() - started
    assert len(calls) == 1 and len(calls[0][0]) == 100
    assert len(frame) == 100 * rows
    assert frame["id"].is_monotonic_increasing
    with capsys.disabled():
        print(f"\n100 CSV files x {rows} rows -> DataFrame in {elapsed:.2f}s")
    assert elapsed < 30
