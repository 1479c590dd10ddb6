"""Datasets made by uploading, as the old SDK's notebooks make them:
``Dataset.File.upload_directory`` and ``Dataset.Tabular.register_pandas_dataframe``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlpipelines.azureml.core import Dataset
from mlpipelines.azureml.data.datapath import DataPath
from mlpipelines.errors import UserErrorException


def test_a_dataframe_is_registered_as_a_new_version_each_time(ws, store, tmp_path: Path):
    frame = pd.DataFrame({"sepal": [5.1, 4.9, 4.7], "species": ["setosa"] * 3})
    first = Dataset.Tabular.register_pandas_dataframe(
        frame, target=(store, "frames/iris"), name="iris", description="d", tags={"k": "v"}
    )
    second = Dataset.Tabular.register_pandas_dataframe(
        frame.head(2), DataPath(store, "frames/iris"), "iris"
    )
    assert (first.version, second.version) == (1, 2)
    pd.testing.assert_frame_equal(first.to_pandas_dataframe(), frame)
    latest = Dataset.get_by_name(ws, "iris")
    assert latest.to_pandas_dataframe()["sepal"].tolist() == [5.1, 4.9]
    folders = sorted(p.name for p in (tmp_path / "store" / "frames" / "iris").iterdir())
    assert len(folders) == 2, "each version in a folder of its own"
    with pytest.raises(UserErrorException, match="expected a pandas DataFrame, not list"):
        Dataset.Tabular.register_pandas_dataframe([1], (store, "x"), "bad")
    with pytest.raises(UserErrorException, match=r"target must be a DataPath"):
        Dataset.Tabular.register_pandas_dataframe(frame, "frames", "bad")
    with pytest.raises(UserErrorException, match="toPandas"):
        Dataset.Tabular.register_spark_dataframe(frame, (store, "x"), "spark")


def test_a_folder_is_uploaded_as_a_file_dataset(store, tmp_path: Path):
    source = tmp_path / "images"
    (source / "cats").mkdir(parents=True)
    (source / "cats" / "a.jpg").write_bytes(b"jpg")
    (source / "notes.txt").write_text("n")
    dataset = Dataset.File.upload_directory(
        src_dir=str(source), target=DataPath(store, "upload"), pattern="*.jpg", overwrite=True
    )
    assert [Path(p).as_posix().lstrip("/") for p in dataset.to_path()] == ["cats/a.jpg"]
    assert (tmp_path / "store" / "upload" / "cats" / "a.jpg").read_bytes() == b"jpg"
    assert not (tmp_path / "store" / "upload" / "notes.txt").exists()
    with pytest.raises(UserErrorException, match=r"no files in .* match the pattern '\*.png'"):
        Dataset.File.upload_directory(str(source), (store, "upload"), pattern="*.png")
