"""A workspace with a local datastore holding CSV and Parquet files written by pyarrow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlpipelines import Datastore, Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(home=str(tmp_path / "home"))


@pytest.fixture
def store(ws: Workspace, tmp_path: Path) -> Datastore:
    (tmp_path / "store").mkdir()
    return Datastore.register_local_folder(ws, "mystore", str(tmp_path / "store"))


def _write_csv(path: Path, columns: dict[str, list], **options: object) -> Path:
    import pyarrow as pa
    import pyarrow.csv as csv

    path.parent.mkdir(parents=True, exist_ok=True)
    csv.write_csv(pa.table(columns), str(path), **options)
    return path


def _write_parquet(path: Path, columns: dict[str, list]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), str(path))
    return path


@pytest.fixture
def csv_parts(store: Datastore) -> list[Path]:
    """Three CSV files of 10 rows each under data/: ids 0..29, a name and a score."""
    return [
        _write_csv(
            store.root / "data" / f"part{i}.csv",
            {
                "id": list(range(i * 10, i * 10 + 10)),
                "name": [f"n{j}" for j in range(i * 10, i * 10 + 10)],
                "score": [j / 2 for j in range(i * 10, i * 10 + 10)],
            },
        )
        for i in range(3)
    ]


@pytest.fixture
def write_csv() -> Callable[..., Path]:
    """Write a table of columns as CSV with pyarrow (options go to ``pyarrow.csv.write_csv``)."""
    return _write_csv


@pytest.fixture
def write_parquet() -> Callable[..., Path]:
    """Write a table of columns as Parquet with pyarrow."""
    return _write_parquet
