"""What a step reads: one record per input kind (PipelineData, DataReference, DataPath,
dataset), each with its JSON form (``{"kind": ..., ...}``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from mlpipelines.records.datastore import DatastoreSpec


def _stores_json(stores: dict[str, DatastoreSpec]) -> dict[str, dict[str, Any]]:
    return {name: spec.to_dict() for name, spec in stores.items()}


def _stores_from(data: dict[str, Any] | None) -> dict[str, DatastoreSpec]:
    return {name: DatastoreSpec.from_json(spec) for name, spec in (data or {}).items()}


@dataclass
class PipelineDataInput:
    """Data another step of the same run produces: its XCom reference names the place.
    ``reader`` set: the step reads it as a tabular dataset with that reader (``input_datasets``),
    as ``parse_delimited_files()`` / ``read_delimited_files()`` ask."""

    kind: ClassVar[str] = "pipeline_data"
    name: str
    data: str
    producer: str
    mode: str = "mount"
    path_on_compute: str | None = None
    reader: dict[str, Any] | None = None

    def with_producer(self, producer: str) -> PipelineDataInput:
        return replace(self, producer=producer)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "data": self.data,
            "producer": self.producer,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "reader": self.reader,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PipelineDataInput:
        return cls(
            data["name"],
            data["data"],
            data["producer"],
            data.get("mode") or "mount",
            data.get("path_on_compute"),
            data.get("reader"),
        )


@dataclass
class DataReferenceInput:
    """A fixed path on a datastore, named when the pipeline was defined."""

    kind: ClassVar[str] = "data_reference"
    name: str
    datastore: DatastoreSpec
    path_on_datastore: str
    mode: str = "mount"
    path_on_compute: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "datastore": self.datastore.to_dict(),
            "path_on_datastore": self.path_on_datastore,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataReferenceInput:
        return cls(
            data["name"],
            DatastoreSpec.from_json(data["datastore"]),
            data["path_on_datastore"],
            data.get("mode") or "mount",
            data.get("path_on_compute"),
        )


@dataclass
class DataPathInput:
    """A place a pipeline parameter names in each run (``{"datastore", "path"}``);
    ``stores`` are the local folders its default names, as registered where it was defined."""

    kind: ClassVar[str] = "data_path"
    name: str
    parameter: str
    mode: str = "mount"
    path_on_compute: str | None = None
    stores: dict[str, DatastoreSpec] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "parameter": self.parameter,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "stores": _stores_json(self.stores),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataPathInput:
        return cls(
            data["name"],
            data["parameter"],
            data.get("mode") or "mount",
            data.get("path_on_compute"),
            _stores_from(data.get("stores")),
        )


@dataclass
class DatasetInput:
    """A Tabular or File dataset: ``consumption`` is its DatasetConsumptionConfig's document
    (the dataset's own JSON, read by ``mlpipelines.datasets``). ``parameter`` names the
    pipeline parameter whose run value (a dataset, a registered one, or a DataPath) replaces
    the dataset; the document then holds the parameter's default."""

    kind: ClassVar[str] = "dataset"
    name: str
    consumption: dict[str, Any]
    mode: str = "direct"
    path_on_compute: str | None = None
    stores: dict[str, DatastoreSpec] = field(default_factory=dict)
    parameter: str | None = None

    @property
    def dataset(self) -> dict[str, Any]:
        """The dataset's definition document."""
        return dict(self.consumption["dataset"])

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "consumption": self.consumption,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "stores": _stores_json(self.stores),
            "parameter": self.parameter,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetInput:
        return cls(
            data["name"],
            data["consumption"],
            data.get("mode") or "direct",
            data.get("path_on_compute"),
            _stores_from(data.get("stores")),
            data.get("parameter"),
        )


StepInput = PipelineDataInput | DataReferenceInput | DataPathInput | DatasetInput

_INPUT_KINDS: dict[str, Any] = {
    cls.kind: cls for cls in (PipelineDataInput, DataReferenceInput, DataPathInput, DatasetInput)
}


def input_from_json(data: dict[str, Any]) -> StepInput:
    """The input record a JSON document describes (by its ``kind``)."""
    kind = data.get("kind", PipelineDataInput.kind)
    if kind not in _INPUT_KINDS:
        raise ValueError(f"input '{data.get('name')}': unknown input kind {kind!r}")
    record: StepInput = _INPUT_KINDS[kind].from_json(data)
    return record
