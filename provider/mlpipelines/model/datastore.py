"""Datastores: named storage that steps read from and write to (local folders for now)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.workspace import DatastoreSpec

if TYPE_CHECKING:
    from mlpipelines.model.data import DataReference
    from mlpipelines.model.workspace import Workspace


def clean_relative_path(path: str | None, what: str = "path_on_datastore") -> str:
    """A datastore-relative POSIX path; refuses paths that leave the datastore."""
    if path in (None, "", ".", "/"):
        return ""
    pure = PurePosixPath(str(path).replace("\\", "/"))
    parts = [p for p in pure.parts if p not in ("/", ".")]
    if ".." in parts:
        raise UserErrorException(f"{what} '{path}' leaves the datastore ('..' is not allowed)")
    return "/".join(parts)


class Datastore:
    """A registered datastore of a workspace: ``Datastore(ws, name)`` or ``Datastore.get``."""

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        name = name or workspace.default_datastore_name
        spec = workspace.datastore_spec(name)
        self.workspace = workspace
        self.name = name
        self.spec: DatastoreSpec = spec
        self.datastore_type = {"local": "LocalFolder"}.get(spec.kind, spec.kind)

    @classmethod
    def get(cls, workspace: Workspace, datastore_name: str) -> Datastore:
        """Fetch a registered datastore by name."""
        return cls(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return workspace.get_default_datastore()

    @staticmethod
    def register_local_folder(
        workspace: Workspace, datastore_name: str, path: str, overwrite: bool = False
    ) -> Datastore:
        """Register a local folder (on the Airflow workers) as a datastore of this workspace."""
        if datastore_name in workspace.datastore_specs and not overwrite:
            raise UserErrorException(f"datastore '{datastore_name}' exists; pass overwrite=True")
        workspace.datastore_specs[datastore_name] = DatastoreSpec(
            datastore_name, "local", os.path.abspath(os.path.expanduser(path))
        )
        return Datastore(workspace, datastore_name)

    # -- data references ----------------------------------------------------------------------
    def path(
        self, path: str | None = None, data_reference_name: str | None = None
    ) -> DataReference:
        """A DataReference to ``path`` on this datastore."""
        from mlpipelines.model.data import DataReference

        return DataReference(self, data_reference_name, path_on_datastore=path)

    def as_mount(self) -> DataReference:
        return self.path().as_mount()

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        return self.path().as_download(path_on_compute)

    def as_upload(self, path_on_compute: str | None = None) -> DataReference:
        return self.path().as_upload(path_on_compute)

    # -- transfers (local folder) -------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The datastore's folder as seen from this process."""
        return self.workspace.datastore_root(self.name)

    def upload_files(
        self,
        files: Iterable[str],
        relative_root: str | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy files onto the datastore under ``target_path``, keeping paths below
        ``relative_root`` (default: each file's own folder)."""
        target = clean_relative_path(target_path, "target_path")
        for file in files:
            src = Path(file)
            rel = src.relative_to(relative_root) if relative_root else Path(src.name)
            self._copy_in(src, Path(target) / rel, overwrite, show_progress)
        return self.path(target or None)

    def upload(
        self,
        src_dir: str,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy a folder's files onto the datastore under ``target_path``."""
        src = Path(src_dir)
        if not src.is_dir():
            raise UserErrorException(f"upload source '{src_dir}' is not a folder")
        target = clean_relative_path(target_path, "target_path")
        for file in sorted(p for p in src.rglob("*") if p.is_file()):
            self._copy_in(file, Path(target) / file.relative_to(src), overwrite, show_progress)
        return self.path(target or None)

    def download(
        self,
        target_path: str,
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Copy the datastore's files under ``prefix`` into ``target_path``; returns the count."""
        root = self.root
        start = root / clean_relative_path(prefix, "prefix")
        files = [start] if start.is_file() else sorted(p for p in start.rglob("*") if p.is_file())
        count = 0
        for file in files:
            dest = Path(target_path) / file.relative_to(root)
            if dest.exists() and not overwrite:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)
            count += 1
            if show_progress:
                print(f"Downloaded {file.relative_to(root)}")
        return count

    def _copy_in(self, src: Path, rel: Path, overwrite: bool, show_progress: bool) -> None:
        dest = self.root / rel
        if dest.exists() and not overwrite:
            if show_progress:
                print(f"Skipped {rel} (exists; overwrite=False)")
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.uploading")
        shutil.copy2(src, tmp)
        os.replace(tmp, dest)
        if show_progress:
            print(f"Uploaded {src} -> {self.name}/{rel.as_posix()}")

    def to_dict(self) -> dict[str, Any]:
        return self.spec.to_dict()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Datastore) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, type={self.datastore_type!r})"
