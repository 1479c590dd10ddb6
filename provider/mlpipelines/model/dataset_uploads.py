"""The uploads behind datasets made by uploading: ``Dataset.File.upload_directory`` (a local
folder onto a datastore path) and ``Dataset.Tabular.register_pandas_dataframe`` (a DataFrame
written as Parquet onto a datastore path); each returns the dataset path of what it wrote."""

from __future__ import annotations

import fnmatch
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.dataset_sources import DataPath


def _target(target: Any, what: str) -> tuple[Any, str]:
    """A ``DataPath`` or ``(datastore, path)`` as (datastore, path); refused otherwise."""
    if isinstance(target, DataPath) and not isinstance(target.datastore, str):
        return target.datastore, target.path_on_datastore.strip("/")
    if (
        isinstance(target, tuple)
        and len(target) == 2
        and hasattr(target[0], "upload_files")
        and isinstance(target[1], str)
    ):
        return target[0], target[1].strip("/")
    raise UserErrorException(
        f"{what}: target must be a DataPath(datastore, path) or (datastore, path), not {target!r}"
    )


def _below(file: str, folder: Path) -> str:
    return Path(file).relative_to(folder).as_posix()


def upload_directory(
    src_dir: str | os.PathLike[str],
    target: Any,
    pattern: str | None = None,
    overwrite: bool = False,
    show_progress: bool = True,
) -> tuple[Any, str]:
    """Copy the files of ``src_dir`` (those whose path below it matches ``pattern``, if given)
    onto the target path; the (datastore, glob) of the copies."""
    datastore, path = _target(target, "upload_directory")
    folder = Path(src_dir)
    if not folder.is_dir():
        raise UserErrorException(f"upload_directory: '{src_dir}' is not a folder")
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    if pattern is not None:
        files = [f for f in files if fnmatch.fnmatch(_below(f, folder), pattern)]
    if not files:
        raise UserErrorException(
            f"upload_directory: no files in '{src_dir}'"
            + (f" match the pattern '{pattern}'" if pattern else "")
        )
    datastore.upload_files(
        files, relative_root=str(folder), target_path=path, overwrite=overwrite,
        show_progress=show_progress,
    )  # fmt: skip
    return datastore, f"{path}/**" if path else "**"


def write_dataframe(
    dataframe: Any,
    target: Any,
    name: str,
    show_progress: bool = True,
    row_group_size: int | None = None,
    make_target_path_unique: bool = True,
) -> tuple[Any, str]:
    """Write ``dataframe`` as one Parquet file under the target path (in a new folder of its
    own unless ``make_target_path_unique=False``); the (datastore, glob) of the file."""
    if not hasattr(dataframe, "to_parquet"):
        raise UserErrorException(
            "register_pandas_dataframe: expected a pandas DataFrame, not "
            f"{type(dataframe).__name__}"
        )
    if not isinstance(name, str) or not name:
        raise UserErrorException("register_pandas_dataframe needs a dataset name")
    datastore, path = _target(target, "register_pandas_dataframe")
    if make_target_path_unique:
        path = f"{path}/{uuid.uuid4()}" if path else str(uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix="mlpipelines-dataframe-") as tmp:
        file = Path(tmp) / "part-00000.parquet"
        dataframe.to_parquet(file, index=False, row_group_size=row_group_size)
        datastore.upload_files(
            [str(file)], relative_root=tmp, target_path=path, overwrite=True,
            show_progress=show_progress,
        )  # fmt: skip
    return datastore, f"{path}/*.parquet"


def register_spark_dataframe(*args: Any, **kwargs: Any) -> Any:
    """Refused: there is no Spark session here to read the DataFrame from."""
    raise UserErrorException(
        "register_spark_dataframe needs a Spark session, which mlpipelines does not run: "
        "convert it with .toPandas() and use Dataset.Tabular.register_pandas_dataframe, or write "
        "it as Parquet to a datastore and use Dataset.Tabular.from_parquet_files"
    )
