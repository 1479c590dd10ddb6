"""Publication records in the control store: one JSON document per published pipeline,
pipeline endpoint, schedule, experiment and draft, read by the client and the REST plugin."""

from __future__ import annotations

from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.control_store import ControlStore, control_store
from mlpipelines.storage.deployment import Deployment

PUBLISHED_FOLDER = "published"
ENDPOINTS_FOLDER = "endpoints"
SCHEDULES_FOLDER = "schedules"
EXPERIMENTS_FOLDER = "experiments"
DRAFTS_FOLDER = "drafts"
ACTIVE = "Active"
DISABLED = "Disabled"


class RecordStore:
    """The records of one kind (published pipelines, endpoints, ...) in one collection."""

    def __init__(self, store: ControlStore, folder: str, kind: str) -> None:
        self.store = store
        self.folder = folder
        self.kind = kind

    @classmethod
    def published(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(control_store(workspace), PUBLISHED_FOLDER, "published pipeline")

    @classmethod
    def schedules(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(control_store(workspace), SCHEDULES_FOLDER, "schedule")

    @classmethod
    def endpoints(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(control_store(workspace), ENDPOINTS_FOLDER, "pipeline endpoint")

    @classmethod
    def experiments(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(control_store(workspace), EXPERIMENTS_FOLDER, "experiment")

    @classmethod
    def drafts(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(control_store(workspace), DRAFTS_FOLDER, "pipeline draft")

    def all(self) -> list[dict[str, Any]]:
        """Every record, oldest first."""
        records = self.store.read_all(self.folder)
        return sorted(records, key=lambda r: (r.get("created", 0), r["id"]))

    def get(self, record_id: str) -> dict[str, Any]:
        """One record by id; an unknown id is a clear error."""
        try:
            record: dict[str, Any] = self.store.read(f"{self.folder}/{record_id}.json")
        except (FileNotFoundError, UserErrorException):
            raise UserErrorException(f"no {self.kind} with id '{record_id}'") from None
        return record

    def find(self, id: str | None = None, name: str | None = None) -> dict[str, Any]:
        """By id, else the newest record with ``name``."""
        if id is not None:
            return self.get(id)
        matches = [r for r in self.all() if r["name"] == name]
        if not matches:
            raise UserErrorException(f"no {self.kind} named '{name}'")
        return matches[-1]

    def put(self, record: dict[str, Any]) -> None:
        self.store.write(f"{self.folder}/{record['id']}.json", record)

    def delete(self, record_id: str) -> None:
        self.store.delete(f"{self.folder}/{record_id}.json")
