"""``run.register_model(model_name, model_path="outputs/model.pkl")`` from the notebook, as
after ``Experiment.submit(ScriptRunConfig)``: the file or folder the step kept in its
``outputs/`` becomes the next version of the model, recording the step run."""

from __future__ import annotations

import tempfile
from typing import Any

from mlpipelines.client.run_files import RunFiles


def register_run_model(
    workspace: Any,
    files: RunFiles,
    step_run_id: str,
    model_name: str,
    model_path: str,
    tags: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    description: str | None = None,
) -> Any:
    """Register the kept file or folder ``model_path`` of a step run as ``model_name``;
    the ``Model``. ``step_run_id`` is ``<dag>/<run>/<task>``, as a script registering from
    inside the step records it. The workspace (the facade's) makes the Model."""
    with tempfile.TemporaryDirectory(prefix="mlpipelines-run-model-") as tmp:
        local = files.download_tree(model_path, tmp)
        return workspace._register_model_files(
            local,
            model_name,
            step_run_id,
            tags=tags,
            properties=properties,
            description=description,
        )
