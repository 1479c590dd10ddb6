"""A run, told in the terminal: where it is, and when it ends each step's state and the metrics
it logged."""

from __future__ import annotations

from types import SimpleNamespace

from rich.table import Table

from mlpipelines.cli.tables import print_wrapped
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.records.metrics import pipeline_metrics, split_metrics


def follow_run(run: PipelineRun, wait: bool, timeout: float) -> int:
    """Print the new run's id and UI page; with ``wait`` watch it: exit 0 only if Finished."""
    print(f"submitted {run.dag_id} run {run.id}")
    print(f"UI: {run.get_portal_url()}")
    if not wait:
        return 0
    status = run.wait_for_completion(
        show_output=True, timeout_seconds=timeout, raise_on_error=False
    )
    return 0 if status == "Finished" else 1


def print_run_report(api: AirflowApi, dag_id: str, run_id: str) -> None:
    run = PipelineRun(SimpleNamespace(name=dag_id, workspace=None), run_id, _api=api)
    table = Table(title=f"{dag_id} / {run_id}: {run.get_status()}")
    for column in ("step", "status", "seconds", "metrics"):
        table.add_column(column, overflow="fold")  # wrap, never cut a metric short
    logged = [(step, step.logged_metrics()) for step in run.get_steps()]
    for step, metrics in logged:
        own = split_metrics(metrics)[0]
        shown = ", ".join(f"{k}={_short(v)}" for k, v in own.items())
        status = step.get_status() + (" (reused)" if step.reused else "")
        duration = f"{step.duration:.1f}" if step.duration is not None else ""
        table.add_row(step.name, status, duration, shown)
    print_wrapped(table)
    on_run = pipeline_metrics(metrics for _, metrics in logged)
    if on_run:
        print("run metrics: " + ", ".join(f"{k}={_short(v)}" for k, v in on_run.items()))
    print(f"UI: {run.get_portal_url()}")


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
