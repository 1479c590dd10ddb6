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
from mlpipelines.client.run_states import TERMINAL

if TYPE_CHECKING:
    from mlpipelines.client.pipeline_run import PipelineRun, StepRun

STATUS_STYLE = {
    "Finished": "green",
    "Failed": "bold red",
    "Running": "yellow",
    "Queued": "cyan",
    "Canceled": "magenta",
}


LOG_END_MARK = "::group::Post Execute"  # what Airflow's task runner logs last
# The group Airflow puts first in a log: where it read it from. A running task's log lists
# the file and the worker's log server, a finished one only the file, so the group changes
# size between reads and is left out of what is tailed.
SOURCES_GROUP = "::group::Log message source details"
GROUP_END = "::endgroup::"
# How long an ended step's log may take to show its end mark: the task's supervisor writes
# the last lines after it reports the state, seconds later on a loaded machine.
ENDED_WAIT_SECONDS = 30.0


class LogTail:
    """The lines of each step's log printed so far, to print only new ones, and whether a
    step's log is complete (it shows the task runner's last group)."""

    def __init__(self, ended_wait_seconds: float = ENDED_WAIT_SECONDS) -> None:
        self._printed: dict[tuple[str, int], int] = {}
        self._complete: set[tuple[str, int]] = set()
        self._ended_at: dict[tuple[str, int], float] = {}
        self._ended_wait = ended_wait_seconds

    @staticmethod
    def key(step: StepRun) -> tuple[str, int]:
        return step.name, max(1, int(step._ti.get("try_number") or 1))

    def done(self, step: StepRun) -> bool:
        """Nothing more to read: the log is complete, or its end mark never came in time."""
        key = self.key(step)
        if key in self._complete:
            return True
        ended_at = self._ended_at.get(key)
        return ended_at is not None and time.monotonic() - ended_at > self._ended_wait

    def new_lines(self, step: StepRun, ended: bool) -> list[str]:
        key = self.key(step)
        if ended:
            self._ended_at.setdefault(key, time.monotonic())
        try:
            lines = _without_sources(step.get_logs().splitlines())
        except AirflowApiError:
            return []
        start = self._printed.get(key, 0)
        self._printed[key] = len(lines)
        if ended and any(LOG_END_MARK in line for line in lines[start:] or lines[-3:]):
            self._complete.add(key)
        return lines[start:]


def _without_sources(lines: list[str]) -> list[str]:
    """The log's lines without its leading source-details group."""
    for start, line in enumerate(lines[:3]):
        if SOURCES_GROUP in line:
            for end in range(start + 1, len(lines)):
                if GROUP_END in lines[end]:
                    return lines[:start] + lines[end + 1 :]
            return lines[:start]
    return lines


def step_table(run: PipelineRun, status: str, steps: list[StepRun]) -> Table:
    """The run's steps with status, seconds and metrics count, titled with the run status."""
    table = Table(title=f"{run.dag_id} / {run.id}: {status}", title_justify="left")
    for column in ("step", "status", "seconds"):
        table.add_column(column, overflow="fold")  # a long step name wraps, never cut
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

    console = console or Console()
    tail = LogTail()
    deadline = time.monotonic() + timeout_seconds
    status = run.get_status()
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while True:
            status = run.get_status()
            steps = run.get_steps()
            if stream_logs:
                _stream(console, tail, steps)
            live.update(Group(step_table(run, status, steps)))
            if status in TERMINAL:
                if stream_logs:
                    _finish_streaming(console, tail, run)
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {run.id} of {run.dag_id} is still {status} after {timeout_seconds:.0f}s"
                )
            time.sleep(poll_seconds)
    console.print(f"{run.dag_id} run {run.id}: {status}", soft_wrap=True)
    console.print(run.get_portal_url(), soft_wrap=True, highlight=False)
    return status


def _stream(console: Console, tail: LogTail, steps: list[StepRun]) -> bool:
    """Print new log lines of steps that run or ended; True while some ended step's log is
    not complete yet (a log can land just after its task ends)."""
    pending = False
    for step in steps:
        state: Any = step._ti.get("state")
        if state in (None, "scheduled", "queued", "skipped") or tail.done(step):
            continue
        ended = step.get_status() in ("Finished", "Failed", "Canceled")
        for line in tail.new_lines(step, ended):
            console.print(Text(f"[{step.name}] {line}"), highlight=False, soft_wrap=True)
        pending = pending or (ended and not tail.done(step))
    return pending


def _finish_streaming(console: Console, tail: LogTail, run: PipelineRun) -> None:
    """Read the ended steps' logs until each is complete (a few seconds at most)."""
    steps = run.get_steps()
    while _stream(console, tail, steps):
        time.sleep(0.5)
