"""Datasets: lazy, serializable definitions of tabular or file data on datastores or URLs.

A dataset is a list of sources plus a list of transformation steps; building or transforming
one reads nothing (``validate=True`` lists files once). The reading lives in
``mlpipelines.datasets``, imported only when data is asked for.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from mlpipelines.datasets.sources import describe_source
from mlpipelines.errors import UserErrorException
from mlpipelines.model import dataset_uploads
from mlpipelines.model.dataset_sources import (
    DataPath,
    DataType,
    column_type,
    parse_sources,
)
from mlpipelines.model.dataset_steps import columns_step, count_step
from mlpipelines.model.tabular_readers import delimited_reader, parquet_reader
from mlpipelines.records.numbers import is_whole

if TYPE_CHECKING:
    from mlpipelines.datasets.file_access import MountContext
    from mlpipelines.model.workspace import Workspace

CONSUMPTION_MODES = ("direct", "download", "mount")
D = TypeVar("D", bound="AbstractDataset")


def _seed(seed: int | None) -> int:
    """A fixed seed, drawn now if not given, so a built dataset always selects the same rows."""
    if seed is None:
        return secrets.randbelow(2**31)
    if not is_whole(seed):
        raise UserErrorException(f"seed must be a non-negative int, not {seed!r}")
    return seed


class AbstractDataset:
    """What tabular and file datasets share: sources, steps, registration, transformations."""

    kind = ""

    def __init__(
        self,
        sources: list[dict[str, Any]],
        steps: list[dict[str, Any]] | None = None,
        reader: dict[str, Any] | None = None,
        workspace: Workspace | None = None,
        registration: dict[str, Any] | None = None,
    ) -> None:
        self._sources = sources
        self._steps = list(steps or [])
        self._reader = dict(reader or {})
        self._workspace = workspace
        self._registration = registration

    # -- serialization -------------------------------------------------------------------------
    def definition(self) -> dict[str, Any]:
        """What the data is, without the registration: two equal definitions read the same rows."""
        body: dict[str, Any] = {"kind": self.kind, "sources": copy.deepcopy(self._sources)}
        if self._reader:
            body["reader"] = copy.deepcopy(self._reader)
        body["steps"] = copy.deepcopy(self._steps)
        return body

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record; datastores appear by name only."""
        body = self.definition()
        if self._registration:
            body["registration"] = copy.deepcopy(self._registration)
        return body

    @staticmethod
    def from_dict(data: dict[str, Any], workspace: Workspace | None = None) -> AbstractDataset:
        """The dataset a ``to_dict`` record describes (read through ``workspace``'s datastores)."""
        classes: dict[str, type[AbstractDataset]] = {"tabular": TabularDataset, "file": FileDataset}
        try:
            cls = classes[data["kind"]]
        except (KeyError, TypeError):
            raise UserErrorException(f"not a dataset record: {data!r}") from None
        return cls(
            copy.deepcopy(data["sources"]),
            copy.deepcopy(data.get("steps", [])),
            copy.deepcopy(data.get("reader")),
            workspace,
            copy.deepcopy(data.get("registration")),
        )

    def _derive(self: D, step: dict[str, Any]) -> D:
        return type(self)(self._sources, [*self._steps, step], self._reader, self._workspace)

    # -- transformations (each returns a new, unregistered dataset) ---------------------------
    def take(self: D, count: int) -> D:
        """The first ``count`` records."""
        return self._derive(count_step("take", count))

    def skip(self: D, count: int) -> D:
        """All but the first ``count`` records."""
        return self._derive(count_step("skip", count))

    def take_sample(self: D, probability: float, seed: int | None = None) -> D:
        """Each record kept with ``probability``; the same seed keeps the same records."""
        if not 0 <= probability <= 1:
            raise UserErrorException(f"take_sample probability must be in [0, 1]: {probability}")
        step = {"op": "sample", "probability": float(probability), "seed": _seed(seed)}
        return self._derive(step)

    def random_split(self: D, percentage: float, seed: int | None = None) -> tuple[D, D]:
        """Two datasets that partition the records: about ``percentage`` of them, and the rest."""
        if not 0 < percentage < 1:
            raise UserErrorException(f"random_split percentage must be in (0, 1): {percentage}")
        chosen = _seed(seed)
        first, second = (
            self._derive({"op": "split", "fraction": float(percentage), "seed": chosen, "part": p})
            for p in (0, 1)
        )
        return first, second

    # -- registration --------------------------------------------------------------------------
    def register(
        self,
        workspace: Workspace,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        create_new_version: bool = False,
    ) -> Any:
        """Register this definition as ``name`` (versions 1, 2, ...; each immutable)."""
        from mlpipelines.datasets.registry import register_dataset

        record = register_dataset(
            workspace, name, self.definition(), description, tags, create_new_version
        )
        return _from_record(record, workspace)

    def _field(self, key: str) -> Any:
        return (self._registration or {}).get(key)

    @property
    def name(self) -> str | None:
        return self._field("name")

    @property
    def version(self) -> int | None:
        return self._field("version")

    @property
    def id(self) -> str | None:
        return self._field("id")

    @property
    def description(self) -> str | None:
        return self._field("description")

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._field("tags") or {})

    @property
    def workspace(self) -> Workspace | None:
        return self._workspace

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """This dataset as the step input ``name`` (read directly unless the mode changes)."""
        return DatasetConsumptionConfig(name, self)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AbstractDataset)
            and type(other) is type(self)
            and other.to_dict() == self.to_dict()
        )

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self) -> str:
        where = ", ".join(describe_source(s) for s in self._sources)
        reg = f", name={self.name!r}, version={self.version}" if self._registration else ""
        return f"{type(self).__name__}({where}{reg}, steps={len(self._steps)})"


class TabularDataset(AbstractDataset):
    """Rows and columns read from delimited or Parquet files."""

    kind = "tabular"

    def keep_columns(self, columns: str | Sequence[str], validate: bool = False) -> TabularDataset:
        """Only the named columns (an unknown name fails when the data is read)."""
        return self._derive(columns_step("keep_columns", columns))

    def drop_columns(self, columns: str | Sequence[str]) -> TabularDataset:
        """All but the named columns."""
        return self._derive(columns_step("drop_columns", columns))

    def to_pandas_dataframe(self, on_error: str = "null", **_: Any) -> Any:
        """Read the data into a pandas DataFrame."""
        return self.to_arrow_table().to_pandas()

    def to_arrow_table(self) -> Any:
        """Read the data into a pyarrow Table."""
        from mlpipelines.datasets.tabular_reading import read_table

        return read_table(self)


class FileDataset(AbstractDataset):
    """A list of files on datastores or URLs; steps see them downloaded or mounted."""

    kind = "file"

    def to_path(self) -> list[str]:
        """Each file's path relative to the dataset's base folder."""
        from mlpipelines.datasets.file_access import relative_paths

        return relative_paths(self)

    def download(self, target_path: str | None = None, overwrite: bool = False) -> list[str]:
        """Copy the files into ``target_path`` (default: a new temp folder); their local paths."""
        from mlpipelines.datasets.file_access import download

        return download(self, target_path, overwrite)

    def mount(self, mount_point: str | None = None, **_: Any) -> MountContext:
        """A context whose ``mount_point`` folder holds the files while it is entered."""
        from mlpipelines.datasets.file_access import MountContext

        return MountContext(self, mount_point)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return self.as_named_input(self.name or "dataset").as_download(path_on_compute)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return self.as_named_input(self.name or "dataset").as_mount(path_on_compute)


class DatasetConsumptionConfig:
    """How a step consumes a dataset: its input name and the mode (direct, download, mount).

    ``dataset`` may be a PipelineParameter whose default is a dataset: each run then reads
    the dataset (or DataPath) the run gives that parameter."""

    def __init__(
        self,
        name: str,
        dataset: Any,
        mode: str = "direct",
        path_on_compute: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise UserErrorException(f"dataset input name {name!r} must be an identifier")
        self.pipeline_parameter = None
        if not isinstance(dataset, AbstractDataset) and hasattr(dataset, "default_value"):
            if not isinstance(dataset.default_value, AbstractDataset):
                raise UserErrorException(
                    f"dataset input '{name}': PipelineParameter '{dataset.name}' needs a "
                    f"dataset as its default_value, not {dataset.default_value!r}"
                )
            self.pipeline_parameter = dataset
            dataset = dataset.default_value
        if not isinstance(dataset, AbstractDataset):
            raise UserErrorException(
                f"dataset input '{name}': {dataset!r} is not a dataset or a PipelineParameter "
                "whose default is one"
            )
        if mode not in CONSUMPTION_MODES:
            raise UserErrorException(f"mode '{mode}' is not one of {', '.join(CONSUMPTION_MODES)}")
        if mode != "direct" and not isinstance(dataset, FileDataset):
            raise UserErrorException(
                f"dataset input '{name}': only a FileDataset can be consumed in {mode} mode"
            )
        self.name = name
        self.dataset = dataset
        self.mode = mode
        self.path_on_compute = path_on_compute

    @property
    def source(self) -> Any:
        """What was given to consume: the dataset, or the PipelineParameter holding one."""
        return self.pipeline_parameter or self.dataset

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name, self.source, "download", path_on_compute)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name, self.source, "mount", path_on_compute)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "dataset": self.dataset.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], workspace: Workspace | None = None
    ) -> DatasetConsumptionConfig:
        dataset = AbstractDataset.from_dict(data["dataset"], workspace)
        return cls(data["name"], dataset, data.get("mode", "direct"), data.get("path_on_compute"))

    def __repr__(self) -> str:
        return f"DatasetConsumptionConfig({self.name!r}, mode={self.mode!r}, {self.dataset!r})"


def _from_record(record: dict[str, Any], workspace: Workspace | None) -> Any:
    registration = {k: v for k, v in record.items() if k != "definition"}
    return AbstractDataset.from_dict(
        {**record["definition"], "registration": registration}, workspace
    )


def _tabular(
    path: Any, validate: bool, reader: dict[str, Any], column_types: dict[str, Any] | None
) -> TabularDataset:
    sources, workspace = parse_sources(path)
    if column_types:
        reader["set_column_types"] = {str(k): column_type(v) for k, v in column_types.items()}
    dataset = TabularDataset(sources, [], reader, workspace)
    if validate:
        _validate(dataset)
    return dataset


def _validate(dataset: AbstractDataset) -> None:
    from mlpipelines.datasets.sources import resolve_files

    resolve_files(dataset.definition(), dataset.workspace)


class TabularDatasetFactory:
    """``Dataset.Tabular``: tabular datasets from delimited or Parquet files."""

    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: dict[str, Any] | None = None,
        separator: str = ",",
        header: bool = True,
        partition_format: str | None = None,
        support_multi_line: bool = False,
        empty_as_string: bool = False,
        encoding: str = "utf8",
    ) -> TabularDataset:
        """Rows of CSV (or other delimited) files; column types inferred unless told."""
        if partition_format is not None:
            raise UserErrorException("partition_format is not supported by mlpipelines datasets")
        reader = delimited_reader(
            separator,
            header,
            infer_column_types,
            include_path,
            support_multi_line,
            empty_as_string,
            encoding,
        )
        return _tabular(path, validate, reader, set_column_types)

    @staticmethod
    def from_parquet_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: dict[str, Any] | None = None,
        partition_format: str | None = None,
    ) -> TabularDataset:
        """Rows of Parquet files."""
        if partition_format is not None:
            raise UserErrorException("partition_format is not supported by mlpipelines datasets")
        return _tabular(path, validate, parquet_reader(include_path), set_column_types)

    @staticmethod
    def register_pandas_dataframe(
        dataframe: Any,
        target: Any,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        show_progress: bool = True,
        row_group_size: int | None = None,
        make_target_path_unique: bool = True,
    ) -> Any:
        """Write the DataFrame as Parquet under ``target`` (``(datastore, path)`` or a
        DataPath) and register it as the next version of the TabularDataset ``name``."""
        datastore, files = dataset_uploads.write_dataframe(
            dataframe, target, name, show_progress, row_group_size, make_target_path_unique
        )
        dataset = TabularDatasetFactory.from_parquet_files(path=(datastore, files))
        return dataset.register(
            datastore.workspace, name, description=description, tags=tags, create_new_version=True
        )

    register_spark_dataframe = staticmethod(dataset_uploads.register_spark_dataframe)


class FileDatasetFactory:
    """``Dataset.File``: file datasets."""

    @staticmethod
    def upload_directory(
        src_dir: str,
        target: Any,
        pattern: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> FileDataset:
        """Copy a local folder's files (matching ``pattern``) under ``target`` (``(datastore,
        path)`` or a DataPath); the copies as a FileDataset."""
        return FileDatasetFactory.from_files(
            dataset_uploads.upload_directory(src_dir, target, pattern, overwrite, show_progress)
        )

    @staticmethod
    def from_files(path: Any, validate: bool = True, is_file: bool = False) -> FileDataset:
        """The files a path, glob, list of paths or URL names."""
        sources, workspace = parse_sources(path)
        dataset = FileDataset(sources, [], None, workspace)
        if validate:
            _validate(dataset)
        return dataset


class Dataset:
    """The entry point of the old SDK: ``Dataset.Tabular``, ``Dataset.File``, ``get_by_name``."""

    Tabular = TabularDatasetFactory
    File = FileDatasetFactory

    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: int | str = "latest") -> Any:
        """A registered dataset by name and version (``"latest"`` by default)."""
        from mlpipelines.datasets.registry import read_registration

        record = read_registration(workspace, name, version)
        return _from_record(record, workspace)

    @staticmethod
    def get_by_id(workspace: Workspace, id: str) -> Any:
        """A registered dataset by its registration id."""
        from mlpipelines.datasets.registry import find_registration

        record = find_registration(workspace, id)
        return _from_record(record, workspace)

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, Any]:
        """The latest version of every registered dataset, by name."""
        from mlpipelines.datasets.registry import dataset_names

        return {n: Dataset.get_by_name(workspace, n) for n in dataset_names(workspace)}

    @staticmethod
    def from_dict(data: dict[str, Any], workspace: Workspace | None = None) -> Any:
        """The dataset a ``to_dict`` record describes."""
        return AbstractDataset.from_dict(data, workspace)


__all__ = [
    "DataPath",
    "DataType",
    "Dataset",
    "DatasetConsumptionConfig",
    "FileDataset",
    "FileDatasetFactory",
    "TabularDataset",
    "TabularDatasetFactory",
    "describe_source",
]
