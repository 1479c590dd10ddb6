"""The transformation steps a tabular dataset records (take, skip, keep or drop columns),
built and checked in one place for datasets and for another step's output read as a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.numbers import is_whole


def count_step(op: str, n: Any) -> dict[str, Any]:
    """``take`` or ``skip`` of ``n`` records."""
    if not is_whole(n):
        raise UserErrorException(f"{op} needs a non-negative int count, not {n!r}")
    return {"op": op, "count": n}


def columns_step(op: str, columns: str | Sequence[str]) -> dict[str, Any]:
    """``keep_columns`` or ``drop_columns`` of the named columns."""
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise UserErrorException(f"{op} needs column names, not {columns!r}")
    return {"op": op, "columns": cols}
