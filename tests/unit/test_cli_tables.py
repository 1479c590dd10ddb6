"""The CLI's tables and the trigger's DAG lookup, as people read them."""

from __future__ import annotations

import io

from rich.console import Console

from mlpipelines.cli.tables import print_table
from mlpipelines.client.dag_lookup import reparsed_since

RUN_ID = "manual__2026-12-07T10:31:02.123456+00:00"
DETAILS = "a process on the Airflow worker that runs every step of the pipeline in turn"


def _printed(console_file: io.StringIO) -> list[str]:
    return [line.rstrip() for line in console_file.getvalue().splitlines()]


def test_a_narrow_terminal_wraps_cells_between_words_and_cuts_nothing() -> None:
    out = io.StringIO()
    terminal = Console(file=out, width=60, force_terminal=True, color_system=None)
    print_table(("run id", "details"), [(RUN_ID, DETAILS)], console=terminal)
    lines = _printed(out)
    assert all(len(line) <= 60 for line in lines)
    text = "".join(lines)
    assert "…" not in text
    cells = [line.split("│")[1:3] for line in lines if line.startswith("│")]
    run_id = "".join(cell[0].strip() for cell in cells)
    details = " ".join(cell[1].strip() for cell in cells if cell[1].strip())
    assert run_id.startswith(RUN_ID)  # every character, in order
    assert details.split() == DETAILS.split()  # whole words, none split


def test_piped_output_keeps_each_row_on_one_line() -> None:
    out = io.StringIO()
    piped = Console(file=out, width=40, force_terminal=False)
    print_table(("run id", "details"), [(RUN_ID, DETAILS)], console=piped)
    rows = [line for line in _printed(out) if RUN_ID in line]
    assert len(rows) == 1 and DETAILS in rows[0]


def test_a_dag_is_clearly_not_coming_once_every_known_dag_was_parsed_again() -> None:
    first = {"a": "2026-01-01T00:00:00", "b": "2026-01-01T00:00:01"}
    assert not reparsed_since(first, first)
    assert not reparsed_since(first, {**first, "a": "2026-01-01T00:00:05"})
    assert reparsed_since(first, {"a": "2026-01-01T00:00:05", "b": "2026-01-01T00:00:06"})
    assert reparsed_since(first, {"a": "2026-01-01T00:00:05"})  # b's file went away
    assert not reparsed_since(first, {})  # nothing left to judge by
