"""What a step's script gets for a dataset input in download or mount mode: a local folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlpipelines.datasets.file_access import download_files, link_or_copy, local_folder
from mlpipelines.datasets.file_access import selected_files as _selected
from mlpipelines.errors import UserErrorException


def materialize_input(consumption: dict[str, Any], work_dir: str, workspace: Any = None) -> str:
    """Turn a ``DatasetConsumptionConfig.to_dict()`` record in ``download`` or ``mount`` mode
    into the folder the step reads (a ``direct`` input is the dataset itself, which only the
    facade's classes build).

    ``download``: the files copied below ``<work_dir>/<input name>`` (or ``path_on_compute``:
    absolute as given, relative below ``work_dir``); returns that folder. ``mount``: the
    datastore folder itself when the dataset is exactly one folder of a local datastore, else
    a folder laid out like a download (symlinks to local files); returns that folder, or the
    file's path there when the dataset is one named file.
    """
    name, mode = consumption["name"], consumption.get("mode", "direct")
    where = consumption.get("path_on_compute")
    definition = consumption["dataset"]
    if mode == "mount" and where is None:
        folder = local_folder(definition, workspace)
        if folder is not None:
            return folder
    if mode not in ("download", "mount"):
        raise UserErrorException(f"dataset input '{name}': mode '{mode}' has no folder")
    target = _target(where or name, work_dir)
    files = _selected(definition, workspace)
    if mode == "download":
        download_files(files, target, overwrite=True)
    else:
        link_or_copy(files, target)
    if _is_one_file(definition, files):
        # A dataset of one named file gives that file's path, as Azure ML does.
        return os.path.join(target, files[0].name)
    return target


def _is_one_file(definition: dict[str, Any], files: list[Any]) -> bool:
    sources = definition.get("sources") or []
    if len(sources) != 1 or len(files) != 1:
        return False
    named = sources[0].get("path", sources[0].get("url"))
    return bool(named) and files[0].label == named


def _target(where: str, work_dir: str) -> str:
    target = Path(where) if os.path.isabs(where) else Path(work_dir) / where
    target.mkdir(parents=True, exist_ok=True)
    return str(target)
