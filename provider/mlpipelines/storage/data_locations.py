"""Data on a datastore as a step sees it: where it is, whether it exists, what it fingerprints
to, and how it becomes a local path (mount on local folders, a download from remote stores)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records import (
    CONNECTION_KIND,
    DataPathInput,
    DataReferenceInput,
    DatastoreSpec,
    OutputReference,
    StepInput,
)
from mlpipelines.records.paths import clean_relative_path
from mlpipelines.storage.datastores import location_of
from mlpipelines.storage.location import DatastoreAccessError, StoreLocation


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
        """Whether the data is there; a store that cannot be reached or refuses us raises a
        DatastoreAccessError naming it (never an SDK traceback, never a secret)."""
        local = self.local_path
        if local is not None:
            return local.exists()
        try:
            if self.location.fs.exists(self.location.path(self.relative)):
                return True
            # Some SDKs answer a refused HEAD as "missing": a listing tells the two apart.
            self.location.fs.ls(self.location.top, detail=False)
            return False
        except DatastoreAccessError:
            raise
        except Exception as exc:
            raise self.location.error("cannot be read", exc, self.relative) from None

    def store_fingerprint(self) -> str:
        """What the store says of the files, without reading them: cheap to compare later."""
        from mlpipelines.storage.fingerprint import fingerprint

        local = self.local_path
        if local is None:
            try:
                return fingerprint(self.location, self.relative)
            except DatastoreAccessError:
                raise
            except Exception as exc:
                raise self.location.error("cannot be listed", exc, self.relative) from None
        digest = hashlib.sha256()
        files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
        for file in files:
            stat = file.stat()
            name = file.relative_to(local).as_posix() if file != local else file.name
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        return f"stat:{digest.hexdigest()}"

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


@dataclass
class LocatedInput:
    """Where one input's data is, and the reference it came with (PipelineData only).
    A dataset input has no single location: its fingerprint is taken when it is located."""

    spec: StepInput
    data: DataLocation | None
    ref: OutputReference | None = None
    fingerprint: str | None = None

    @property
    def path(self) -> Path | None:
        """The input's path on this machine (data on a local folder), else None."""
        return self.data.local_path if self.data is not None else None


def data_reference_location(spec: DataReferenceInput) -> DataLocation:
    """Where a DataReference input points."""
    return DataLocation(location_of(spec.datastore), spec.path_on_datastore)


def reference_location(ref: OutputReference) -> DataLocation:
    """Where an XCom reference (a PipelineData output) points."""
    return DataLocation(location_of(ref.store), ref.path)


def data_path_location(spec: DataPathInput, params: Mapping[str, Any]) -> DataLocation:
    """Where a DataPath parameter input points in this run: the parameter's value
    (``{"datastore", "path"}``), its default unless the run named another place."""
    value = params.get(spec.parameter)
    if not isinstance(value, dict) or not isinstance(value.get("datastore"), str):
        raise UserErrorException(
            f'parameter \'{spec.parameter}\' must be {{"datastore": name, "path": path}}, '
            f"not {value!r}"
        )
    name = value["datastore"]
    store = spec.stores.get(name) or DatastoreSpec(name, CONNECTION_KIND)
    relative = clean_relative_path(value.get("path"), f"parameter '{spec.parameter}' path")
    return DataLocation(location_of(store), relative)


def input_location(
    spec: DataReferenceInput | DataPathInput, params: Mapping[str, Any]
) -> DataLocation:
    """Where an input named when the pipeline was defined points in this run: a
    DataReference's fixed place, or the place a DataPath parameter names."""
    if isinstance(spec, DataPathInput):
        return data_path_location(spec, params)
    return data_reference_location(spec)
