"""How a tabular dataset reads its files (its ``reader`` record): the one builder for the
factories, ``PipelineData.parse_*_files`` and ``OutputFileDatasetConfig.read_*_files``."""

from __future__ import annotations

from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.dataset_sources import column_type


def delimited_reader(
    separator: str = ",",
    header: bool = True,
    infer_column_types: bool = True,
    include_path: bool = False,
    support_multi_line: bool = False,
    empty_as_string: bool = False,
    encoding: str = "utf8",
    set_column_types: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """How a tabular dataset reads delimited files (its ``reader`` record)."""
    if not isinstance(header, bool):
        raise UserErrorException(f"header must be True or False, not {header!r}")
    reader: dict[str, Any] = {
        "format": "delimited",
        "separator": separator,
        "header": header,
        "infer_column_types": bool(infer_column_types),
        "include_path": bool(include_path),
        "support_multi_line": bool(support_multi_line),
        "empty_as_string": bool(empty_as_string),
        "encoding": encoding,
    }
    if set_column_types:
        reader["set_column_types"] = {str(k): column_type(v) for k, v in set_column_types.items()}
    return reader


def parquet_reader(
    include_path: bool = False, set_column_types: dict[str, Any] | None = None
) -> dict[str, Any]:
    """How a tabular dataset reads Parquet files (its ``reader`` record)."""
    reader: dict[str, Any] = {"format": "parquet", "include_path": bool(include_path)}
    if set_column_types:
        reader["set_column_types"] = {str(k): column_type(v) for k, v in set_column_types.items()}
    return reader
