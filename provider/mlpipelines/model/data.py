"""Data a step reads or writes: existing data (DataReference) and intermediate (PipelineData)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.dataset_steps import columns_step, count_step

if TYPE_CHECKING:
    from mlpipelines.model.datastore import Datastore
    from mlpipelines.model.steps import Step

MODES = ("mount", "download", "upload", "direct")


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UserErrorException(f"mode '{mode}' is not one of {', '.join(MODES)}")
    return mode


class DataReference:
    """Existing data on a datastore, used as a step input; its path replaces it in arguments."""

    def __init__(
        self,
        datastore: Datastore,
        data_reference_name: str | None = None,
        path_on_datastore: str | None = None,
        mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool = False,
    ) -> None:
        if datastore is None:
            raise UserErrorException("DataReference needs a datastore")
        self.datastore = datastore
        self.data_reference_name = data_reference_name or datastore.name
        self.path_on_datastore = path_on_datastore
        self.mode = _check_mode(mode)
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite

    @property
    def name(self) -> str:
        return self.data_reference_name

    def _with(self, **changes: Any) -> DataReference:
        clone = copy.copy(self)
        clone.__dict__.update(changes)
        return clone

    def as_download(
        self, path_on_compute: str | None = None, overwrite: bool | None = None
    ) -> DataReference:
        return self._with(
            mode="download",
            path_on_compute=path_on_compute or self.path_on_compute,
            overwrite=self.overwrite if overwrite is None else overwrite,
        )

    def as_mount(self) -> DataReference:
        return self._with(mode="mount")

    def as_upload(
        self, path_on_compute: str | None = None, overwrite: bool | None = None
    ) -> DataReference:
        return self._with(
            mode="upload",
            path_on_compute=path_on_compute or self.path_on_compute,
            overwrite=self.overwrite if overwrite is None else overwrite,
        )

    def path(
        self, path: str | None = None, data_reference_name: str | None = None
    ) -> DataReference:
        """A reference to ``path`` below this one."""
        base = (self.path_on_datastore or "").rstrip("/")
        joined = f"{base}/{path}" if base and path else (path or base or None)
        return self._with(
            path_on_datastore=joined,
            data_reference_name=data_reference_name or self.data_reference_name,
        )

    def __str__(self) -> str:
        """``$AZUREML_DATAREFERENCE_<name>``, as ``str(PipelineData)``."""
        return f"$AZUREML_DATAREFERENCE_{self.data_reference_name}"

    def __repr__(self) -> str:
        return (
            f"DataReference(name={self.data_reference_name!r}, datastore={self.datastore.name!r}, "
            f"path={self.path_on_datastore!r}, mode={self.mode!r})"
        )


class PipelineData:
    """Intermediate data: written by exactly one step, read by any number of later steps.

    Steps refer to it by object, not by name: that reference is the edge that orders them.
    """

    def __init__(
        self,
        name: str,
        datastore: Datastore | None = None,
        output_name: str | None = None,
        output_mode: str = "mount",
        output_path_on_compute: str | None = None,
        output_overwrite: bool | None = None,
        data_type: str | None = None,
        is_directory: bool | None = None,
        pipeline_output_name: str | None = None,
        training_output: Any = None,
    ) -> None:
        self.name = name
        self.datastore = datastore
        self.output_name = output_name or name
        self.output_mode = _check_mode(output_mode)
        self.output_path_on_compute = output_path_on_compute
        self.output_overwrite = output_overwrite
        self.data_type = data_type
        self.is_directory = is_directory
        self.pipeline_output_name = pipeline_output_name
        self._producers: list[Step] = []

    def as_input(self, input_name: str | None = None) -> DataInput:
        return DataInput(self, input_name, "mount")

    def as_download(
        self,
        input_name: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> DataInput:
        return DataInput(self, input_name, "download", path_on_compute)

    def as_mount(self, input_name: str | None = None) -> DataInput:
        return DataInput(self, input_name, "mount")

    def as_dataset(self) -> PipelineData:
        """This data, to be read as a dataset by later steps (``parse_*_files``); the
        producer still lists it in ``outputs``."""
        return self

    def parse_delimited_files(
        self,
        include_path: bool = False,
        separator: str = ",",
        header: bool = True,
        partition_format: str | None = None,
        file_extension: str | None = "",
        set_column_types: dict[str, Any] | None = None,
        quoted_line_breaks: bool = False,
    ) -> DataInput:
        """This data as a tabular dataset input (``Run.input_datasets[name]``)."""
        from mlpipelines.model.tabular_readers import delimited_reader

        _no_partitions(partition_format)
        reader = delimited_reader(
            separator,
            header,
            include_path=include_path,
            support_multi_line=quoted_line_breaks,
            set_column_types=set_column_types,
        )
        return DataInput(self, self.name, "direct", reader=reader)

    def parse_parquet_files(
        self,
        include_path: bool = False,
        partition_format: str | None = None,
        file_extension: str | None = ".parquet",
        set_column_types: dict[str, Any] | None = None,
    ) -> DataInput:
        """This data as a tabular dataset input of Parquet files."""
        from mlpipelines.model.tabular_readers import parquet_reader

        _no_partitions(partition_format)
        reader = parquet_reader(include_path, set_column_types)
        return DataInput(self, self.name, "direct", reader=reader)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def __str__(self) -> str:
        """``$AZUREML_DATAREFERENCE_<name>``, as in Azure ML: in a CommandStep's command
        string (``f"--data {data}"``) it stands for the data's path."""
        return f"$AZUREML_DATAREFERENCE_{self.name}"


def _no_partitions(partition_format: str | None) -> None:
    if partition_format is not None:
        raise UserErrorException("partition_format is not supported by mlpipelines datasets")


class DataInput:
    """How one step reads a PipelineData (its input name and mode); identity stays the data's.
    With a ``reader`` the step reads it as a tabular dataset (``input_datasets[name]``)."""

    def __init__(
        self,
        data: PipelineData,
        input_name: str | None,
        mode: str = "mount",
        path_on_compute: str | None = None,
        reader: dict[str, Any] | None = None,
    ) -> None:
        self.data = data
        self._input_name = input_name
        self.mode = _check_mode(mode)
        self.path_on_compute = path_on_compute
        self.reader = reader

    @property
    def input_name(self) -> str:
        """The name given, else the data's (read when asked: an unnamed output is named by the
        step that produces it, which may come after this input was made)."""
        return self._input_name or self.data.name

    @property
    def name(self) -> str:
        return self.input_name

    def as_download(
        self, path_on_compute: str | None = None, overwrite: bool | None = None
    ) -> DataInput:
        where = path_on_compute or self.path_on_compute
        return DataInput(self.data, self._input_name, "download", where)

    def as_mount(self) -> DataInput:
        return DataInput(self.data, self._input_name, "mount", self.path_on_compute)

    def as_named_input(self, name: str) -> DataInput:
        """The same input under another name (``input_datasets[name]`` for a tabular one)."""
        return DataInput(self.data, name, self.mode, self.path_on_compute, self.reader)

    # -- a tabular input's transformations, applied when the step reads it ---------------------
    def keep_columns(self, columns: str | Sequence[str], validate: bool = False) -> DataInput:
        return self._tabular_step(columns_step("keep_columns", columns))

    def drop_columns(self, columns: str | Sequence[str]) -> DataInput:
        return self._tabular_step(columns_step("drop_columns", columns))

    def take(self, count: int) -> DataInput:
        return self._tabular_step(count_step("take", count))

    def skip(self, count: int) -> DataInput:
        return self._tabular_step(count_step("skip", count))

    def _tabular_step(self, step: dict[str, Any]) -> DataInput:
        if self.reader is None:
            raise UserErrorException(
                f"{step['op']} on '{self.data.name}' needs a tabular input: call "
                "parse_delimited_files() or parse_parquet_files() first"
            )
        reader = {**self.reader, "steps": [*self.reader.get("steps", []), step]}
        return DataInput(self.data, self._input_name, self.mode, self.path_on_compute, reader)

    def __repr__(self) -> str:
        return f"DataInput({self.data.name!r} as {self.input_name!r}, mode={self.mode!r})"


def underlying(data: Any) -> Any:
    """The PipelineData behind a DataInput; other objects as they are."""
    return data.data if isinstance(data, DataInput) else data
