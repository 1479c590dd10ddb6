"""Cyclic garbage collection held off while a pipeline becomes a DAG.

Planning and rendering a big pipeline allocate several hundred long-lived objects a step
(records, operators, their Params) and almost no cyclic garbage, yet CPython's generational
collector re-traverses every live object at each full collection it triggers along the way:
about a sixth of a 1,000-step DAG file's parse time. Reference counting still frees what dies,
and the collector resumes when the build ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; restore whatever state it was in."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
