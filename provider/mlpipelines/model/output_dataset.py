"""``OutputFileDatasetConfig``: data a step writes, named in its arguments, that later steps
read (``as_input``, ``read_delimited_files``) and that may be registered as a dataset."""

from __future__ import annotations

from typing import Any

from mlpipelines._naming import task_id_for
from mlpipelines.errors import UserErrorException
from mlpipelines.model.data import DataInput, PipelineData
from mlpipelines.model.tabular_readers import delimited_reader, parquet_reader
from mlpipelines.records.outputs import OUTPUT_NAME_PLACEHOLDER, OutputRegistration


class OutputFileDatasetConfig(PipelineData):
    """A step's output folder: a per-run folder on the default datastore, or ``destination``
    ``(datastore, 'path/{run-id}/{output-name}')``. Its producer is the step that names it in
    ``outputs`` or, first, in ``arguments``."""

    def __init__(
        self,
        name: str | None = None,
        destination: tuple[Any, str] | None = None,
        source: str | None = None,
        partition_format: str | None = None,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise UserErrorException(
                f"OutputFileDatasetConfig: name must be a non-empty string (or left out), "
                f"not {name!r}"
            )
        if partition_format is not None:
            raise UserErrorException("partition_format is not supported by mlpipelines datasets")
        datastore, path = _destination(name or "(unnamed)", destination)
        # Unnamed (as the old SDK allows): the step that produces it names it after itself
        # (``name_for_producer``), so the name is the same every time the pipeline is built.
        super().__init__(name or "", datastore=datastore, output_path_on_compute=source)
        self._destination_template = path
        self.registration: OutputRegistration | None = None

    @property
    def destination_path(self) -> str | None:
        """The destination path on its datastore, ``{output-name}`` filled in."""
        if self._destination_template is None:
            return None
        return self._destination_template.replace(OUTPUT_NAME_PLACEHOLDER, self.name)

    def name_for_producer(self, step_name: str, taken: set[str]) -> None:
        """Name an unnamed output after the step that produces it (``<step>_output``, then
        ``_output_2``, ... past the names in ``taken``)."""
        if self.name:
            return
        base = f"{task_id_for(step_name)}_output"
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        self.name = self.output_name = name

    # -- how the producer writes it (each returns this output: its identity is the edge) ----
    def as_mount(self, disable_metadata_cache: bool = False) -> OutputFileDatasetConfig:  # type: ignore[override]
        """Written in place (the default)."""
        self.output_mode = "mount"
        return self

    def as_upload(
        self, overwrite: bool = False, source_globs: list[str] | None = None
    ) -> OutputFileDatasetConfig:
        """Written locally, then uploaded when the step succeeds (as every output here is)."""
        self.output_mode = "upload"
        return self

    def register_on_complete(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> OutputFileDatasetConfig:
        """Register the written files as the FileDataset ``name`` (a new version each run)
        once the producing step succeeds."""
        self.registration = OutputRegistration(_registration_name(name))
        return self

    # -- how a later step reads it -----------------------------------------------------------
    def read_delimited_files(
        self,
        include_path: bool = False,
        separator: str = ",",
        header: bool = True,
        partition_format: str | None = None,
        path_glob: str | None = None,
        set_column_types: dict[str, Any] | None = None,
    ) -> OutputTabularDatasetConfig:
        """Its files as a tabular dataset (``Run.input_datasets[name]`` in a reading step)."""
        if partition_format is not None:
            raise UserErrorException("partition_format is not supported by mlpipelines datasets")
        reader = delimited_reader(
            separator, header, include_path=include_path, set_column_types=set_column_types
        )
        return OutputTabularDatasetConfig(self, reader)

    def read_parquet_files(
        self,
        include_path: bool = False,
        partition_format: str | None = None,
        path_glob: str | None = None,
        set_column_types: dict[str, Any] | None = None,
    ) -> OutputTabularDatasetConfig:
        """Its Parquet files as a tabular dataset."""
        if partition_format is not None:
            raise UserErrorException("partition_format is not supported by mlpipelines datasets")
        return OutputTabularDatasetConfig(self, parquet_reader(include_path, set_column_types))


class OutputTabularDatasetConfig(DataInput):
    """An OutputFileDatasetConfig read as a tabular dataset: in its producer's arguments it is
    the output; in a later step's arguments or inputs, a tabular dataset input."""

    def __init__(
        self, data: OutputFileDatasetConfig, reader: dict[str, Any], input_name: str | None = None
    ) -> None:
        super().__init__(data, input_name or data.name, "direct", reader=reader)

    def as_input(self, name: str | None = None) -> OutputTabularDatasetConfig:
        assert isinstance(self.data, OutputFileDatasetConfig) and self.reader is not None
        return OutputTabularDatasetConfig(self.data, self.reader, name)

    def as_named_input(self, name: str) -> OutputTabularDatasetConfig:
        return self.as_input(name)

    def register_on_complete(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> OutputTabularDatasetConfig:
        """Register the written files as the TabularDataset ``name`` once the producer succeeds."""
        assert isinstance(self.data, OutputFileDatasetConfig)
        self.data.registration = OutputRegistration(_registration_name(name), self.reader)
        return self


def _destination(name: str, destination: Any) -> tuple[Any, str | None]:
    if destination is None:
        return None, None
    if not isinstance(destination, tuple) or len(destination) != 2:
        raise UserErrorException(
            f"OutputFileDatasetConfig '{name}': destination must be (datastore, 'path'), "
            f"not {destination!r}"
        )
    datastore, path = destination
    if not hasattr(datastore, "spec"):
        raise UserErrorException(
            f"OutputFileDatasetConfig '{name}': destination's first item must be a Datastore, "
            f"not {datastore!r}"
        )
    if not isinstance(path, str) or not path.strip("/"):
        raise UserErrorException(
            f"OutputFileDatasetConfig '{name}': destination path must be a non-empty string"
        )
    return datastore, path


def _registration_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise UserErrorException(f"register_on_complete needs a dataset name, not {name!r}")
    return name
