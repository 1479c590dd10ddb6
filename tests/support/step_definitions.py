"""A minimal planned step for tests that need a StepDefinition but no pipeline behind it."""

from __future__ import annotations

from typing import Any

from mlpipelines.records import DatastoreSpec, StepDefinition


def script_step(name: str = "train", **fields: Any) -> StepDefinition:
    """A python_script step ``name`` (its task id too) on the local target, reusable, with
    no inputs, outputs or arguments unless ``fields`` give them."""
    values: dict[str, Any] = {
        "kind": "python_script",
        "name": name,
        "task_id": name,
        "inputs": (),
        "outputs": (),
        "arguments": (),
        "params": {},
        "compute_target": "local",
        "allow_reuse": True,
        "version": None,
        "default_datastore": DatastoreSpec("workspaceblobstore"),
    }
    values.update(fields)
    return StepDefinition(**values)
