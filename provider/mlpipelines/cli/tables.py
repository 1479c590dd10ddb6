"""Tables in the terminal that wrap long cells instead of cutting them, and never cut an id
short, even when output is piped."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table


def print_table(
    columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], console: Console | None = None
) -> None:
    """Print rows under the column headings; long cells wrap instead of being cut."""
    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    print_wrapped(table, console)


def print_wrapped(renderable: RenderableType, console: Console | None = None) -> None:
    """Print at the terminal's width: cells wrap between words, and a word longer than its
    column folds onto the next line, never cut. Piped output has no width to fit, so it gets
    the table's full width (nothing wraps)."""
    console = console or Console()
    if not console.is_terminal:
        wide = Console(width=100_000)
        width = Measurement.get(wide, wide.options, renderable).maximum
        console = Console(file=console.file, width=max(width, 20))
    console.print(renderable)
