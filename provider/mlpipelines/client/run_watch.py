"""Watching a pipeline run in the terminal: a live table of its steps and their new log
lines as they arrive (what ``PipelineRun.wait_for_completion(show_output=True)`` shows)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mlpipelines.client.airflow_api import AirflowApiError

if TYPE_CHECKING:
    from mlpipelines.client.pipeline_run import PipelineRun, StepRun

STATUS_STYLE = {
    "Finished": "green",
    "Failed": "bold red",
    "Running": "yellow",
    "Queued": "cyan",
    "Canceled": "magenta",
}


class LogTail:
    """The lines of each step's log printed so far, to print only new ones."""

    def __init__(self) -> None:
        self._printed: dict[tuple[str, int], int] = {}

    def new_lines(self, step: StepRun) -> list[str]:
        try_number = max(1, int(step._ti.get("try_number") or 1))
        key = (step.name, try_number)
        try:
            lines = step.get_logs().splitlines()
        except AirflowApiError:
            return []
        start = self._printed.get(key, 0)
        self._printed[key] = len(lines)
        return lines[start:]


def step_table(run: PipelineRun, status: str, steps: list[StepRun]) -> Table:
    """The run's steps with status, seconds and metrics count, titled with the run status."""
    table = Table(title=f"{run.dag_id} / {run.id}: {status}", title_justify="left")
    for column in ("step", "status", "seconds"):
        table.add_column(column)
    for step in steps:
        shown = step.get_status() + (" (reused)" if step.reused else "")
        seconds = f"{step.duration:.1f}" if step.duration is not None else ""
        table.add_row(
            step.name, Text(shown, style=STATUS_STYLE.get(step.get_status(), "")), seconds
        )
    return table


def watch_run(
    run: PipelineRun,
    timeout_seconds: float,
    poll_seconds: float = 1.0,
    console: Console | None = None,
    stream_logs: bool = True,
) -> str:
    """Show the run until it ends; the final status (Azure ML names). TimeoutError past the
    deadline. Logs of running and just-ended steps are streamed above the table."""
    from mlpipelines.client.pipeline_run import TERMINAL

    console = console or Console()
    tail = LogTail()
    finished: dict[str, int] = {}
    deadline = time.monotonic() + timeout_seconds
    status = run.get_status()
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while True:
            status = run.get_status()
            steps = run.get_steps()
            if stream_logs:
                _stream(console, tail, steps, finished)
            live.update(Group(step_table(run, status, steps)))
            if status in TERMINAL:
                if stream_logs:  # the last lines of steps that ended since the last poll
                    _stream(console, tail, run.get_steps(), finished)
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {run.id} of {run.dag_id} is still {status} after {timeout_seconds:.0f}s"
                )
            time.sleep(poll_seconds)
    console.print(f"{run.dag_id} run {run.id}: {status}", soft_wrap=True)
    console.print(run.get_portal_url(), soft_wrap=True, highlight=False)
    return status


def _stream(
    console: Console, tail: LogTail, steps: list[StepRun], finished: dict[str, int]
) -> None:
    """Print new log lines of steps that run or ended; an ended step is read until its log
    has shown lines and then once more (a log may land just after the task ends)."""
    for step in steps:
        state: Any = step._ti.get("state")
        if finished.get(step.name, 0) >= 2 or state in (None, "scheduled", "queued", "skipped"):
            continue
        lines = tail.new_lines(step)
        for line in lines:
            console.print(Text(f"[{step.name}] {line}"), highlight=False, soft_wrap=True)
        if step.get_status() in ("Finished", "Failed"):
            done = finished.get(step.name, 0)
            finished[step.name] = done + 1 if (lines or done) else 0
