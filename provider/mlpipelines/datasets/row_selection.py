"""Which records a dataset's steps keep: take, skip, seeded samples and splits.

Records are rows of a tabular dataset or files of a file dataset; the same steps select both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlpipelines.errors import UserErrorException

ROW_OPS = ("take", "skip", "sample", "split")
COLUMN_OPS = ("keep_columns", "drop_columns")


def row_steps(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps that choose records (column steps commute with them, so they are apart)."""
    unknown = [s["op"] for s in steps if s["op"] not in ROW_OPS + COLUMN_OPS]
    if unknown:
        raise UserErrorException(f"unknown dataset steps: {', '.join(unknown)}")
    return [s for s in steps if s["op"] in ROW_OPS]


def leading_window(steps: Sequence[dict[str, Any]]) -> tuple[int, int | None, list[dict[str, Any]]]:
    """The leading take/skip steps as (offset, limit) and the steps after them.

    A reader can stop after ``offset + limit`` records instead of reading everything.
    """
    offset, limit = 0, None
    for i, step in enumerate(steps):
        if step["op"] == "skip":
            offset += step["count"]
            limit = None if limit is None else max(limit - step["count"], 0)
        elif step["op"] == "take":
            limit = step["count"] if limit is None else min(limit, step["count"])
        else:
            return offset, limit, list(steps[i:])
    return offset, limit, []


def select(count: int, steps: Sequence[dict[str, Any]]) -> Any:
    """The positions (a numpy int array, in order) of the records the steps keep of ``count``."""
    import numpy as np

    kept = np.arange(count, dtype=np.int64)
    for step in steps:
        op = step["op"]
        if op == "take":
            kept = kept[: step["count"]]
        elif op == "skip":
            kept = kept[step["count"] :]
        elif op == "sample":
            draws = np.random.default_rng(step["seed"]).random(len(kept))
            kept = kept[draws < step["probability"]]
        elif op == "split":
            # Both parts draw the same numbers over the same records, so they partition them.
            draws = np.random.default_rng(step["seed"]).random(len(kept))
            first = draws < step["fraction"]
            kept = kept[first if step["part"] == 0 else ~first]
    return kept


def is_everything(kept: Any, count: int) -> bool:
    """True when ``select`` kept every record in order."""
    return len(kept) == count and (count == 0 or (kept[0] == 0 and kept[-1] == count - 1))
