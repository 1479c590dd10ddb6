"""What a step writes (its declared outputs) and the XCom reference to a finished output."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from mlpipelines.records.datastore import DatastoreSpec


@dataclass(frozen=True)
class OutputRegistration:
    """A dataset to register once the step succeeds (``register_on_complete``): its name, and
    the tabular reader when it is registered as a tabular dataset (else a file dataset)."""

    name: str
    reader: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "reader": self.reader}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> OutputRegistration | None:
        return None if not data else cls(data["name"], data.get("reader"))


RUN_ID_PLACEHOLDER = "{run-id}"
OUTPUT_NAME_PLACEHOLDER = "{output-name}"


@dataclass
class PipelineDataOutput:
    """A PipelineData (or OutputFileDatasetConfig) the step produces: a per-run folder on
    ``datastore``, or ``destination`` there (``{run-id}`` filled in when the step runs)."""

    kind: ClassVar[str] = "pipeline_data"
    name: str
    datastore: DatastoreSpec
    mode: str = "mount"
    path_on_compute: str | None = None
    destination: str | None = None
    registration: OutputRegistration | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "datastore": self.datastore.to_dict(),
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "destination": self.destination,
            "registration": None if self.registration is None else self.registration.to_json(),
        }

    def destination_for(self, step_run_id: str) -> str | None:
        """``destination`` with the run's id in place of ``{run-id}``."""
        if self.destination is None:
            return None
        return self.destination.replace(RUN_ID_PLACEHOLDER, step_run_id)


@dataclass
class DataReferenceOutput:
    """A fixed place on a datastore the step's files are uploaded to once it succeeds."""

    kind: ClassVar[str] = "data_reference"
    name: str
    datastore: DatastoreSpec
    path_on_datastore: str
    mode: str = "upload"
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


StepOutput = PipelineDataOutput | DataReferenceOutput


def output_from_json(data: dict[str, Any]) -> StepOutput:
    """The output record a JSON document describes (no ``kind``: a PipelineData)."""
    store = DatastoreSpec.from_json(data["datastore"])
    if data.get("kind") == DataReferenceOutput.kind:
        return DataReferenceOutput(
            data["name"],
            store,
            data["path_on_datastore"],
            data.get("mode") or "upload",
            data.get("path_on_compute"),
        )
    return PipelineDataOutput(
        data["name"],
        store,
        data.get("mode") or "mount",
        data.get("path_on_compute"),
        data.get("destination"),
        OutputRegistration.from_json(data.get("registration")),
    )


@dataclass
class OutputReference:
    """Where a finished output is: what a producer pushes to XCom (``output_<name>``), a
    manifest records, and a consumer follows. ``fingerprint`` identifies its content (the
    key of every step reading it); ``store_fingerprint`` is what the store says of it."""

    datastore: str
    path: str
    uri: str
    store: DatastoreSpec
    fingerprint: str | None = None
    store_fingerprint: str | None = None

    def with_fingerprint(
        self, fingerprint: str | None, store_fingerprint: str | None = None
    ) -> OutputReference:
        return replace(
            self,
            fingerprint=fingerprint,
            store_fingerprint=store_fingerprint or self.store_fingerprint,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "datastore": self.datastore,
            "path": self.path,
            "uri": self.uri,
            "store": self.store.to_dict(),
            "fingerprint": self.fingerprint,
        }
        if self.store_fingerprint is not None:
            data["store_fingerprint"] = self.store_fingerprint
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutputReference:
        """A reference from XCom or a manifest (old ones name only a local datastore)."""
        store = data.get("store") or {"name": data["datastore"]}
        return cls(
            data["datastore"],
            data["path"],
            data.get("uri") or "",
            DatastoreSpec.from_json(store),
            data.get("fingerprint"),
            data.get("store_fingerprint"),
        )
