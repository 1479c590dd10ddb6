"""Compute targets: where a step runs. Only the worker's own process exists so far."""

from __future__ import annotations

from typing import Any

from mlpipelines.errors import ComputeTargetException


class ComputeTarget:
    """A named place for steps to run: ``ComputeTarget(workspace=ws, name=name)``."""

    def __init__(self, workspace: Any = None, name: str | None = None, type: str = "Local") -> None:
        if not name:
            raise ComputeTargetException("ComputeTarget needs a name")
        if workspace is not None and name not in workspace.compute_targets:
            raise ComputeTargetException(f"no compute target named '{name}' in the workspace")
        self.name = name
        self.type = type

    def __repr__(self) -> str:
        return f"ComputeTarget(name={self.name!r}, type={self.type!r})"


LOCAL_COMPUTE = ComputeTarget(None, "local", "Local")


def compute_name(target: Any) -> str:
    """The name of a compute target given as an object, a name, or None (the local process)."""
    if target is None:
        return LOCAL_COMPUTE.name
    if isinstance(target, str):
        return target
    return str(getattr(target, "name", target))
