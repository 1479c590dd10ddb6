"""Tables in the terminal that never cut ids short, even when output is piped."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table


def print_table(columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Print rows under the column headings; long cells wrap instead of being cut."""
    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=False)
    for row in rows:
        table.add_row(*row)
    Console(width=200).print(table)
