"""Cyclic garbage collection held off during a bounded build of many long-lived objects.

Two builds use it: a pipeline becoming a DAG (several hundred records, operators and Params a
step: about a sixth of a 1,000-step DAG file's parse time) and a snapshot of a source folder
(a few objects per file: a tenth of re-checking an unchanged tree). Neither makes cyclic
garbage, yet CPython's generational collector re-traverses every live object at each full
collection their allocations trigger. Reference counting still frees what dies, and the
collector resumes when the build ends.
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
