"""The files a run kept (each step's stdout, stderr, metrics and ``outputs/`` on the default
datastore), listed and downloaded as ``run.get_file_names()`` and ``run.download_file()`` do."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlpipelines._naming import path_safe
from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import ARTIFACTS_FOLDER


class RunFiles:
    """The artifacts folder of a run (``steps`` None) or of one of its steps."""

    def __init__(self, workspace: Any, dag_id: str, run_id: str, task_id: str | None) -> None:
        self._workspace = workspace
        folder = f"{ARTIFACTS_FOLDER}/{dag_id}/{path_safe(run_id)}"
        self.folder = f"{folder}/{task_id}" if task_id else folder

    def _location(self) -> Any:
        return self._workspace.get_default_datastore().location

    def names(self) -> list[str]:
        """Every file's name relative to the folder (``stdout.txt``; for a pipeline run
        ``<step>/stdout.txt``), sorted."""
        location = self._location()
        top = location.path(self.folder)
        try:
            found = location.fs.find(top)
        except FileNotFoundError:
            return []
        return sorted(location.relative(p)[len(self.folder) + 1 :] for p in found)

    def download(self, name: str, output_file_path: str | os.PathLike[str] | None = None) -> str:
        """Copy one file (a name from ``names()``) to ``output_file_path`` (a file, or a
        folder to put it in; default: the current folder); returns where it went."""
        if name not in self.names():
            raise UserErrorException(
                f"the run has no file '{name}'; it has: {', '.join(self.names()) or 'none'}"
            )
        target = Path(output_file_path or ".")
        if target.is_dir():
            target = target / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        location = self._location()
        target.write_bytes(location.fs.cat_file(location.path(f"{self.folder}/{name}")))
        return str(target)

    def download_tree(self, name: str, folder: str | os.PathLike[str]) -> Path:
        """Copy the file ``name``, or every file below the folder ``name``, into ``folder``
        (keeping the paths below ``name``); where the copy is (``<folder>/<last part>``)."""
        name = name.strip("/")
        names = self.names()
        below = [n for n in names if n.startswith(f"{name}/")]
        if name not in names and not below:
            raise UserErrorException(
                f"the run has no file or folder '{name}'; it has: {', '.join(names) or 'none'}"
            )
        target = Path(folder) / Path(name).name
        location = self._location()
        for each in [name] if name in names else below:
            dest = target if each == name else target / each[len(name) + 1 :]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(location.fs.cat_file(location.path(f"{self.folder}/{each}")))
        return target

    def read_text(self, name: str) -> str | None:
        """One file's text, or None when the run kept no such file."""
        location = self._location()
        try:
            data: bytes = location.fs.cat_file(location.path(f"{self.folder}/{name}"))
        except (FileNotFoundError, OSError):
            return None
        return data.decode("utf-8", errors="replace")
