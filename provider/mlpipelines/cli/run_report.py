"""A finished run, told in the terminal: each step's state and the metrics it logged."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.table import Table

from mlpipelines._naming import REUSE_TASK_ID
from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError


def print_run_report(api: AirflowApi, dag_id: str, run_id: str) -> None:
    run = api.get_run(dag_id, run_id)
    table = Table(title=f"{dag_id} / {run_id}: {run['state']}")
    for column in ("step", "state", "seconds", "metrics"):
        table.add_column(column)
    tis = api.task_instances(dag_id, run_id)
    reused = _reused_steps(api, dag_id, run_id, tis)
    for ti in sorted(tis, key=lambda t: t.get("start_date") or ""):
        try:
            metrics = api.xcom(dag_id, run_id, ti["task_id"], "metrics")
        except AirflowApiError:
            metrics = reused.get(ti["task_id"], {}).get("metrics")
        shown = ", ".join(f"{k}={_short(v)}" for k, v in (metrics or {}).items())
        duration = ti.get("duration")
        table.add_row(
            ti["task_id"],
            str(ti["state"]),
            f"{duration:.1f}" if duration is not None else "",
            shown,
        )
    Console().print(table)
    print(f"UI: {api.ui_url(dag_id, run_id)}")


def _reused_steps(api: AirflowApi, dag_id: str, run_id: str, tis: list[dict]) -> dict[str, dict]:
    """What the reuse sensor(s) of the run handed on, by step task id."""
    found: dict[str, dict] = {}
    for ti in tis:
        if ti["task_id"].split(".")[-1] == REUSE_TASK_ID and ti["state"] == "success":
            with contextlib.suppress(AirflowApiError, KeyError, TypeError):
                found.update(api.xcom(dag_id, run_id, ti["task_id"], "reuse")["reused"])
    return found


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
