"""After a script succeeds: its outputs take their final place atomically, or vanish."""

from __future__ import annotations

import os
import shutil
import uuid
from typing import Any

from mlpipelines.runtime.datastores import reference
from mlpipelines.runtime.staging import PendingOutput


def publish_output(output: PendingOutput) -> dict[str, Any]:
    """Move a finished output to its final path with one rename; return its XCom reference.

    A final path already there (a retried task of the same run) is swapped out first, so
    readers see either the old or the new output, never a mix.
    """
    if output.final.exists():
        stale = output.final.parent / f".{output.final.name}.stale-{uuid.uuid4().hex[:12]}"
        os.rename(output.final, stale)
        os.rename(output.temp, output.final)
        _remove(stale)
    else:
        os.rename(output.temp, output.final)
    return reference(output.store, output.relative_path)


def discard_outputs(outputs: list[PendingOutput]) -> None:
    """Remove what a failed or killed script left half-written."""
    for output in outputs:
        _remove(output.temp)


def _remove(path: os.PathLike[str] | str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
