"""A pipeline's metrics across its runs, as the view charts them: one point per run for each
numeric metric (``step/metric``; ``metric`` alone for one logged on the pipeline run), with
the numeric parameters of that run beside it, so a metric can be drawn against the run and
against a parameter (as Azure ML studio compares runs)."""

from __future__ import annotations

import math
from typing import Any

from mlpipelines.plugin.run_summary import RunRecord, effective_params, run_metrics, step_metrics


def numeric(value: Any) -> float | None:
    """A metric or parameter as one number: a number itself, the last of a list of numbers
    (a metric logged once per epoch), else None. Booleans are not numbers here."""
    if isinstance(value, list) and value:
        value = value[-1]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def run_point(record: RunRecord) -> dict[str, Any]:
    """One run: its id, state and start, its numeric metrics by ``step/metric`` and its
    parameters (numbers as numbers, anything else as given)."""
    metrics = {
        f"{task_id}/{name}": number
        for task_id, values in step_metrics(record).items()
        for name, value in values.items()
        if (number := numeric(value)) is not None
    }
    # Logged on the pipeline run itself (``run.parent.log``): by name alone, as AML shows them.
    metrics.update(
        (name, number)
        for name, value in run_metrics(record).items()
        if (number := numeric(value)) is not None
    )
    return {
        "run_id": record.run_id,
        "state": record.state,
        "start_date": record.start_date.isoformat() if record.start_date else None,
        "metrics": metrics,
        "params": effective_params(record),
    }


def metric_history(dag_id: str, records: list[RunRecord]) -> dict[str, Any]:
    """The runs (oldest first) as points, with the names of the metrics any run has and of
    the parameters that are numbers in some run (what a scatter can use as its x axis)."""
    points = [run_point(r) for r in records]
    metric_names = sorted({name for p in points for name in p["metrics"]})
    param_names = sorted(
        {name for p in points for name, v in p["params"].items() if numeric(v) is not None}
    )
    return {"dag_id": dag_id, "runs": points, "metrics": metric_names, "params": param_names}
