"""Metrics a script logged with ``Run.log``: records in, one ``{name: value}`` dict out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlpipelines.records.reserved import PIPELINE_METRICS_KEY

PIPELINE_SCOPE = "pipeline"
"""A record's ``scope`` when the script logged it on the pipeline run (``run.parent``)."""


def fold_metrics(records: Iterable[dict[str, Any]], scope: str | None = None) -> dict[str, Any]:
    """``{name: value}`` of the records of ``scope`` (None: the step's own); a name logged more
    than once (or with log_list/log_row) holds a list."""
    values: dict[str, list[Any]] = {}
    as_list: set[str] = set()
    for record in records:
        if record.get("scope") != scope:
            continue
        name = record["name"]
        if record.get("kind") in ("list", "row"):
            as_list.add(name)
        if record.get("kind") == "list":
            values.setdefault(name, []).extend(record["value"])
        else:
            values.setdefault(name, []).append(record["value"])
    return {n: v if (len(v) > 1 or n in as_list) else v[0] for n, v in values.items()}


def read_metrics(file: Path) -> dict[str, Any]:
    """Fold the JSON-lines metrics file a step's script wrote; no file means no metrics. What
    it logged on the pipeline run is kept under ``PIPELINE_METRICS_KEY``."""
    if not file.is_file():
        return {}
    lines = file.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    metrics = fold_metrics(records)
    on_pipeline = fold_metrics(records, PIPELINE_SCOPE)
    if on_pipeline:
        metrics[PIPELINE_METRICS_KEY] = on_pipeline
    return metrics


def split_metrics(metrics: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A step's metrics as (its own, what it logged on the pipeline run)."""
    own = {k: v for k, v in metrics.items() if k != PIPELINE_METRICS_KEY}
    return own, dict(metrics.get(PIPELINE_METRICS_KEY) or {})


def pipeline_metrics(steps_metrics: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """What the steps (in order) logged on the pipeline run, folded: a name logged by several
    steps holds a list of their values."""
    values: dict[str, list[Any]] = {}
    for metrics in steps_metrics:
        for name, value in split_metrics(metrics)[1].items():
            values.setdefault(name, []).append(value)
    return {n: v[0] if len(v) == 1 else v for n, v in values.items()}
