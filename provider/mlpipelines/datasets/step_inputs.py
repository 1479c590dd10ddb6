"""What a step's script gets for a dataset input: the dataset itself, or a local folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlpipelines.datasets.file_access import download_files, link_or_copy, local_folder
from mlpipelines.datasets.file_access import selected_files as _selected
from mlpipelines.errors import UserErrorException
from mlpipelines.model.dataset import DatasetConsumptionConfig


def materialize_input(consumption: dict[str, Any], work_dir: str, workspace: Any = None) -> object:
    """Turn a ``DatasetConsumptionConfig.to_dict()`` record into what the step reads.

    ``direct``: the TabularDataset or FileDataset (read through ``workspace``, default: the
    deployment this process runs in). ``download``: the files copied below
    ``<work_dir>/<input name>`` (or ``path_on_compute``: absolute as given, relative below
    ``work_dir``); returns that folder. ``mount``: the datastore folder itself when the
    dataset is exactly one folder of a local datastore, else a folder laid out like a download
    (symlinks to local files); returns that folder.
    """
    config = DatasetConsumptionConfig.from_dict(consumption, workspace)
    if config.mode == "direct":
        return config.dataset
    definition = config.dataset.definition()
    if config.mode == "mount" and config.path_on_compute is None:
        folder = local_folder(definition, workspace)
        if folder is not None:
            return folder
    target = _target(config, work_dir)
    files = _selected(definition, workspace)
    if config.mode == "download":
        download_files(files, target, overwrite=True)
    elif config.mode == "mount":
        link_or_copy(files, target)
    else:
        raise UserErrorException(f"dataset input '{config.name}': unknown mode '{config.mode}'")
    return target


def _target(config: DatasetConsumptionConfig, work_dir: str) -> str:
    where = config.path_on_compute or config.name
    target = Path(where) if os.path.isabs(where) else Path(work_dir) / where
    target.mkdir(parents=True, exist_ok=True)
    return str(target)
