"""What a step's script stores from inside its run (``Run.upload_file``,
``Run.register_model``): files next to the step's logs under ``artifacts/<dag>/<run>/<task>/``
on the default datastore, and model versions in the workspace's registry.

Runs in a step's script process: imports nothing of Airflow.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

from mlpipelines._naming import path_safe
from mlpipelines.errors import UserErrorException
from mlpipelines.records.paths import clean_relative_path
from mlpipelines.records.reserved import ARTIFACTS_FOLDER


def artifact_folder(step_run_id: str) -> str:
    """``artifacts/<dag>/<run>/<task>`` of a step run id ``<dag>/<run>/<task>``."""
    dag_id, _sep, rest = step_run_id.partition("/")
    run_id, _sep, task_id = rest.rpartition("/")
    if not (dag_id and run_id and task_id):
        raise UserErrorException(
            f"run '{step_run_id}' is not a pipeline step run: files can be uploaded only "
            "from a step's script"
        )
    return f"{ARTIFACTS_FOLDER}/{dag_id}/{path_safe(run_id)}/{task_id}"


def upload_step_file(
    step_run_id: str, name: str, path_or_stream: str | os.PathLike[str] | IO[Any]
) -> str:
    """Store a local file (or the bytes of an open stream) as the step's artifact ``name``;
    the artifact's URI."""
    from mlpipelines.model.workspace import Workspace
    from mlpipelines.storage.location import StoreLocation
    from mlpipelines.storage.transfer import copy
    from mlpipelines.storage.versioned_records import default_store

    relative = clean_relative_path(name, "artifact name")
    if not relative:
        raise UserErrorException("upload_file: the artifact name must not be empty")
    target = f"{artifact_folder(step_run_id)}/{relative}"
    store = default_store(Workspace.current())
    with tempfile.TemporaryDirectory(prefix="mlpipelines-upload-") as tmp:
        source = _local_file(path_or_stream, Path(tmp), name)
        copy(
            StoreLocation.local(source.parent, datastore="local"), source.name, store, target, True
        )
    return str(store.uri(target))


def register_step_model(
    step_run_id: str, model_name: str, model_path: str | os.PathLike[str], **details: Any
) -> Any:
    """Register the step's local file or folder ``model_path`` (relative to the script's
    working folder) as the next version of ``model_name``, recording the step run."""
    from mlpipelines.model.workspace import Workspace

    return Workspace.current()._register_model_files(model_path, model_name, step_run_id, **details)


def _local_file(source: Any, tmp: Path, name: str) -> Path:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise UserErrorException(f"upload_file '{name}': '{source}' is not a file")
        return path.resolve()
    if not hasattr(source, "read"):
        raise UserErrorException(
            f"upload_file '{name}': pass a file path or an open stream, not {type(source).__name__}"
        )
    path = tmp / Path(name).name
    data = source.read()
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path
