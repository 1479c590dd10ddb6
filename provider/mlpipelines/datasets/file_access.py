"""A file dataset on this machine: its relative paths, downloads, and mounts.

A "mount" of a dataset that is exactly one folder of a local datastore is that folder. Any
other dataset is mounted as a folder built for it: symlinks to local files, copies of remote
ones (a FUSE mount is not attempted; the files are downloaded up front).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from mlpipelines.datasets.row_selection import row_steps, select
from mlpipelines.datasets.sources import GLOB_CHARS, DefinedDataset, ResolvedFile, resolve_files
from mlpipelines.errors import UserErrorException

REMOTE_DOWNLOAD_THREADS = 8


def selected_files(definition: dict[str, Any], workspace: Any = None) -> list[ResolvedFile]:
    """The files a file dataset definition keeps after its steps; two with one name is an error."""
    if definition.get("kind") != "file":
        raise UserErrorException("only a file dataset has files to download or mount")
    files = resolve_files(definition, workspace)
    return [files[i] for i in kept_positions(definition, files)]


def kept_positions(definition: dict[str, Any], files: list[ResolvedFile]) -> list[int]:
    """Where the files a file dataset's steps keep are in ``files`` (all its files, as
    ``resolve_files`` gives them); two kept files with one name is an error."""
    steps = row_steps(definition.get("steps", []))
    positions = [int(i) for i in select(len(files), steps)] if steps else list(range(len(files)))
    seen: dict[str, ResolvedFile] = {}
    for i in positions:
        file = files[i]
        if file.name in seen:
            raise UserErrorException(
                f"files '{seen[file.name].label}' and '{file.label}' would both be '{file.name}'"
                " on download; use separate datasets"
            )
        seen[file.name] = file
    return positions


def relative_paths(dataset: DefinedDataset) -> list[str]:
    """Each file's path below the dataset's base folder."""
    return [f.name for f in selected_files(dataset.definition(), dataset.workspace)]


def download(dataset: DefinedDataset, target_path: str | None, overwrite: bool) -> list[str]:
    """Copy the dataset's files below ``target_path`` (a new temp folder if None)."""
    target = target_path or tempfile.mkdtemp(prefix="mlpipelines-dataset-")
    files = selected_files(dataset.definition(), dataset.workspace)
    return download_files(files, target, overwrite)


def download_files(files: list[ResolvedFile], target: str, overwrite: bool) -> list[str]:
    """Copy files below ``target`` keeping their names; an existing file is an error unless
    ``overwrite``. Returns the local paths, in dataset order."""
    root = Path(target).absolute()
    destinations = [root / f.name for f in files]
    if not overwrite:
        existing = [str(d) for d in destinations if d.exists()]
        if existing:
            raise UserErrorException(
                f"download target has {len(existing)} of the files already (first: "
                f"{existing[0]}); pass overwrite=True"
            )
    pairs = list(zip(files, destinations, strict=True))
    remote = any(not f.local for f in files)
    if remote and len(pairs) > 1:
        with ThreadPoolExecutor(REMOTE_DOWNLOAD_THREADS) as pool:
            list(pool.map(lambda pair: _copy(*pair), pairs))
    else:
        for file, dest in pairs:
            _copy(file, dest)
    return [str(d) for d in destinations]


def _copy(file: ResolvedFile, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if file.local:
            shutil.copyfile(file.path, partial)
        else:
            file.fs.get_file(file.path, str(partial))
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def local_folder(definition: dict[str, Any], workspace: Any = None) -> str | None:
    """The datastore folder a dataset is exactly, when it is one folder of a local datastore."""
    from mlpipelines.storage.connections import open_datastore

    sources = definition["sources"]
    if len(sources) != 1 or "datastore" not in sources[0] or definition.get("steps"):
        return None
    rel = sources[0]["path"]
    if any(c in GLOB_CHARS for c in rel):
        return None
    store = open_datastore(sources[0]["datastore"], workspace)
    if not store.is_local:
        return None
    folder = store.path(rel)
    return folder if os.path.isdir(folder) else None


def link_or_copy(files: list[ResolvedFile], target: str) -> None:
    """Lay out the files below ``target``: symlinks to local files, downloads of remote ones."""
    remote = [f for f in files if not f.local]
    for file in files:
        if not file.local:
            continue
        dest = Path(target) / file.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink() or dest.exists():
            dest.unlink()
        try:
            os.symlink(os.path.abspath(file.path), dest)
        except OSError:
            shutil.copyfile(file.path, dest)
    if remote:
        download_files(remote, target, overwrite=True)


class MountContext:
    """``dataset.mount()``: ``start()`` makes ``mount_point`` hold the files, ``stop()`` undoes it.

    Used as a context manager it yields itself, a path-like of the mount point.
    """

    def __init__(self, dataset: DefinedDataset, mount_point: str | None = None) -> None:
        self._dataset = dataset
        self._requested = mount_point
        self._mount_point: str | None = None
        self._created: list[str] = []

    @property
    def mount_point(self) -> str:
        if self._mount_point is None:
            raise UserErrorException("the dataset is not mounted; call start() or use `with`")
        return self._mount_point

    def start(self) -> None:
        definition, ws = self._dataset.definition(), self._dataset.workspace
        folder = None if self._requested else local_folder(definition, ws)
        if folder is not None:
            self._mount_point = folder
            return
        files = selected_files(definition, ws)
        target = self._requested or tempfile.mkdtemp(prefix="mlpipelines-mount-")
        if self._requested is None:
            self._created = [target]
        else:
            self._created = [str(Path(target) / f.name) for f in files]
        link_or_copy(files, target)
        self._mount_point = target

    def stop(self) -> None:
        for path in self._created:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
        self._created = []
        self._mount_point = None

    def __enter__(self) -> MountContext:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __fspath__(self) -> str:
        return self.mount_point

    def __str__(self) -> str:
        return self.mount_point

    def __repr__(self) -> str:
        return f"MountContext(mount_point={self._mount_point!r})"
