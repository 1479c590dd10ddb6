"""The note a reused step's task instance carries: that it was reused, from which run (a
link), its metrics and outputs, and where the pipeline view is. Airflow shows it on the task
page (above the log, which for a step the reuse sensor skipped has nothing) and marks the
step in the grid.

Airflow keeps at most 1,000 characters of a note (a VARCHAR(1000) on Postgres), so long
metric and output lists are cut with a count of what was left out.
"""

from __future__ import annotations

from typing import Any

from mlpipelines.plugin.run_summary import ui_run_url, ui_task_url

NOTE_LIMIT = 1000
# The first line of every note mlpipelines writes: how it knows a note is its own.
NOTE_TITLE = "**Reused**"
VALUE_CHARS = 40


def reused_note(source: dict[str, Any], ui_base: str = "", view_url: str | None = None) -> str:
    """The markdown note of a step reused from ``source`` (dag_id, run_id, task_id, key,
    metrics, outputs), at most NOTE_LIMIT characters."""
    run_link = _link(source["run_id"], ui_run_url(ui_base, source["dag_id"], source["run_id"]))
    step_link = _link(
        source["task_id"],
        ui_task_url(ui_base, source["dag_id"], source["run_id"], source["task_id"]),
    )
    # Airflow previews a note's first line only: the run it reused comes first.
    head = (
        f"{NOTE_TITLE} from run {run_link}, step {step_link} of `{source['dag_id']}`: "
        f"not run, its outputs and metrics are that run's (key `{str(source.get('key'))[:16]}`)."
    )
    tail = f"\n\n[Pipeline view]({view_url})" if view_url else ""
    metrics = [f"{name} = {_short(value)}" for name, value in (source.get("metrics") or {}).items()]
    outputs = [
        f"{name}: {ref.get('datastore')}/{ref.get('path')}"
        for name, ref in sorted((source.get("outputs") or {}).items())
    ]
    room = NOTE_LIMIT - len(head) - len(tail)
    body = _fitted([("Metrics", metrics), ("Outputs", outputs)], room)
    return (head + body + tail)[:NOTE_LIMIT]


def is_reuse_note(note: str | None) -> bool:
    """Whether a note is one mlpipelines wrote (a user's own note is never replaced)."""
    return bool(note) and str(note).startswith(NOTE_TITLE)


def _fitted(sections: list[tuple[str, list[str]]], room: int) -> str:
    """The sections as markdown lists, dropping trailing items (and saying how many) until
    they fit in ``room`` characters."""
    kept = [list(items) for _, items in sections]
    while True:
        text = ""
        for (title, items), keep in zip(sections, kept, strict=True):
            if not items:
                continue
            left = len(items) - len(keep)
            lines = [f"- {item}" for item in keep] + ([f"- ... {left} more"] if left else [])
            text += f"\n\n{title}:\n" + "\n".join(lines)
        longest = max(range(len(kept)), key=lambda i: len(kept[i]))
        if len(text) <= room or not kept[longest]:
            return text if len(text) <= room else ""
        kept[longest].pop()


def _short(value: Any) -> str:
    if isinstance(value, list) and value:
        text = f"{value[-1]} (last of {len(value)})"
    else:
        text = str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def _link(text: Any, url: str) -> str:
    return f"[{text}]({url})"
