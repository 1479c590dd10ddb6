"""Metrics a script logged with ``Run.log``: records in, one ``{name: value}`` dict out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def fold_metrics(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``{name: value}``; a name logged more than once (or with log_list/log_row) holds a list."""
    values: dict[str, list[Any]] = {}
    as_list: set[str] = set()
    for record in records:
        name = record["name"]
        if record.get("kind") in ("list", "row"):
            as_list.add(name)
        if record.get("kind") == "list":
            values.setdefault(name, []).extend(record["value"])
        else:
            values.setdefault(name, []).append(record["value"])
    return {n: v if (len(v) > 1 or n in as_list) else v[0] for n, v in values.items()}


def read_metrics(file: Path) -> dict[str, Any]:
    """Fold the JSON-lines metrics file a step's script wrote; no file means no metrics."""
    if not file.is_file():
        return {}
    lines = file.read_text(encoding="utf-8").splitlines()
    return fold_metrics(json.loads(line) for line in lines if line.strip())
