"""``RunDetails(run).show()`` (the old ``azureml.widgets``): a table of a pipeline run's
steps (status, which run a reused step's outputs came from, duration), as HTML that refreshes
until the run ends in Jupyter, as plain text in a terminal."""

from __future__ import annotations

import html
import sys
import threading
import time
from typing import Any

from mlpipelines.client.run_states import TERMINAL

COLUMNS = ("step", "status", "reused from", "seconds")


class RunDetails:
    """``RunDetails(run_instance)`` over a ``PipelineRun`` or a ``StepRun``."""

    def __init__(self, run_instance: Any) -> None:
        if not hasattr(run_instance, "get_status"):
            raise TypeError(
                f"RunDetails needs a PipelineRun or a StepRun, not {type(run_instance).__name__}"
            )
        self.run_instance = run_instance
        self._refresher: threading.Thread | None = None

    def get_widget_data(self, widget_settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """The run's status, its UI link and one row per step, as plain data."""
        run = self.run_instance
        steps = run.get_steps() if hasattr(run, "get_steps") else [run]
        pipeline = getattr(run, "parent", None) or run
        return {
            "run_id": run.id,
            "status": run.get_status(),
            "url": pipeline.get_portal_url(),
            "steps": [step_row(step) for step in steps],
        }

    def show(
        self,
        render_lib: Any = None,
        widget_settings: dict[str, Any] | None = None,
        follow: bool = False,
        poll_seconds: float = 2.0,
    ) -> None:
        """In Jupyter, an HTML table refreshed (in the background) until the run ends; in a
        terminal, the table printed once (with ``follow=True``, again at each change until
        the run ends)."""
        shell = _jupyter_shell()
        if shell is not None:
            self._show_in_jupyter(poll_seconds)
            return
        shown = ""
        while True:
            data = self.get_widget_data()
            text = render_text(data)
            if text != shown:
                print(text, flush=True)
                shown = text
            if not follow or data["status"] in TERMINAL:
                return
            time.sleep(poll_seconds)

    def _show_in_jupyter(self, poll_seconds: float) -> None:
        from IPython.display import HTML, display

        data = self.get_widget_data()
        handle = display(HTML(render_html(data)), display_id=True)
        if data["status"] in TERMINAL or handle is None:
            return

        def refresh() -> None:
            status = data["status"]
            while status not in TERMINAL:
                time.sleep(poll_seconds)
                latest = self.get_widget_data()
                status = latest["status"]
                handle.update(HTML(render_html(latest)))

        self._refresher = threading.Thread(target=refresh, name="RunDetails", daemon=True)
        self._refresher.start()


def step_row(step: Any) -> dict[str, Any]:
    """One step as a row: name, Azure ML status, the run a reused step's outputs came from,
    seconds it ran."""
    reused = getattr(step, "_reused", None) or {}
    return {
        "name": step.name,
        "status": step.get_status(),
        "reused_from": (reused.get("run_id") or "an earlier run") if step.reused else None,
        "duration": step.duration,
    }


def render_text(data: dict[str, Any]) -> str:
    """The widget data as a plain-text table, titled with the run and its status."""
    rows = [_cells(r) for r in data["steps"]]
    widths = [max(len(c), *(len(str(row[i])) for row in rows)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    body = [line.format(*COLUMNS), line.format(*("-" * w for w in widths))]
    body += [line.format(*row).rstrip() for row in rows]
    return f"Run {data['run_id']}: {data['status']}\n" + "\n".join(body) + f"\n{data['url']}"


def render_html(data: dict[str, Any]) -> str:
    """The widget data as an HTML table with a link to the run's page."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in _cells(r)) + "</tr>"
        for r in data["steps"]
    )
    url = html.escape(str(data["url"]), quote=True)
    return (
        f"<div><b>Run {html.escape(str(data['run_id']))}</b>: {html.escape(data['status'])} "
        f'(<a href="{url}" target="_blank">Airflow</a>)'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _cells(row: dict[str, Any]) -> tuple[str, str, str, str]:
    seconds = "" if row["duration"] is None else f"{row['duration']:.1f}"
    return str(row["name"]), str(row["status"]), str(row["reused_from"] or ""), seconds


def _jupyter_shell() -> Any:
    """The Jupyter kernel's shell, if this process is one (IPython already imported)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and hasattr(shell, "kernel") else None
