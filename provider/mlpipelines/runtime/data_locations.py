"""Data on a datastore as a step sees it: where it is, whether it exists, what it fingerprints
to, and how it becomes a local path (mount on local folders, a download from remote stores)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipelines.runtime.datastores import location_of, store_of
from mlpipelines.storage import StoreLocation


@dataclass(frozen=True)
class DataLocation:
    """``relative`` on one datastore."""

    location: StoreLocation
    relative: str

    @property
    def local_path(self) -> Path | None:
        """The path on this machine, for data on a local folder; None for remote stores."""
        if self.location.is_local:
            return Path(self.location.path(self.relative))
        return None

    def exists(self) -> bool:
        local = self.local_path
        if local is not None:
            return local.exists()
        return bool(self.location.fs.exists(self.location.path(self.relative)))

    def fingerprint(self) -> str:
        """A content hash (local, with a stat cache) or the store's etags/sizes (remote)."""
        from mlpipelines.reuse.fingerprints import fingerprint_path
        from mlpipelines.storage.fingerprint import fingerprint

        local = self.local_path
        if local is not None:
            return fingerprint_path(local)
        return fingerprint(self.location, self.relative)

    def uri(self) -> str:
        return self.location.uri(self.relative)

    def describe(self) -> str:
        return f"'{self.location.datastore}/{self.relative}'"

    def fetch(self, target: Path) -> Path:
        """Copy the data below ``target`` (a file keeps its name); the local path of the copy."""
        from mlpipelines.storage.transfer import copy

        if self.location.fs.isdir(self.location.path(self.relative)):
            dest = StoreLocation.local(target, datastore="work")
            copy(self.location, self.relative, dest, "", overwrite=True)
            return target
        name = self.relative.rsplit("/", 1)[-1]
        dest = StoreLocation.local(target, datastore="work")
        copy(self.location, self.relative, dest, name, overwrite=True)
        return target / name


def data_reference_location(spec: dict[str, Any]) -> DataLocation:
    """Where a DataReference input points."""
    return DataLocation(location_of(spec["datastore"]), spec["path_on_datastore"])


def reference_location(ref: dict[str, Any]) -> DataLocation:
    """Where an XCom reference (a PipelineData output) points."""
    return DataLocation(location_of(store_of(ref)), ref["path"])
