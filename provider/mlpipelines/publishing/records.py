"""Publication records on the specs datastore: one JSON file per published pipeline and per
pipeline endpoint, written atomically, read by the client and the REST plugin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlpipelines._json_files import write_json_atomic
from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.deployment import Deployment

PUBLISHED_FOLDER = f"{INTERNAL_FOLDER}/published"
ENDPOINTS_FOLDER = f"{INTERNAL_FOLDER}/endpoints"
SCHEDULES_FOLDER = f"{INTERNAL_FOLDER}/schedules"
EXPERIMENTS_FOLDER = f"{INTERNAL_FOLDER}/experiments"
DRAFTS_FOLDER = f"{INTERNAL_FOLDER}/drafts"
ACTIVE = "Active"
DISABLED = "Disabled"


class RecordStore:
    """The records of one kind (published pipelines or endpoints) in one folder."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = folder
        self.kind = kind

    @classmethod
    def published(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(_root(workspace) / PUBLISHED_FOLDER, "published pipeline")

    @classmethod
    def schedules(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(_root(workspace) / SCHEDULES_FOLDER, "schedule")

    @classmethod
    def endpoints(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(_root(workspace) / ENDPOINTS_FOLDER, "pipeline endpoint")

    @classmethod
    def experiments(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(_root(workspace) / EXPERIMENTS_FOLDER, "experiment")

    @classmethod
    def drafts(cls, workspace: Deployment | None = None) -> RecordStore:
        return cls(_root(workspace) / DRAFTS_FOLDER, "pipeline draft")

    def all(self) -> list[dict[str, Any]]:
        """Every record, oldest first."""
        records = [
            json.loads(path.read_text(encoding="utf-8")) for path in self.folder.glob("*.json")
        ]
        return sorted(records, key=lambda r: (r.get("created", 0), r["id"]))

    def get(self, record_id: str) -> dict[str, Any]:
        """One record by id; an unknown id is a clear error."""
        path = self.folder / f"{record_id}.json"
        if "/" in record_id or not path.is_file():
            raise UserErrorException(f"no {self.kind} with id '{record_id}'")
        return json.loads(path.read_text(encoding="utf-8"))

    def find(self, id: str | None = None, name: str | None = None) -> dict[str, Any]:
        """By id, else the newest record with ``name``."""
        if id is not None:
            return self.get(id)
        matches = [r for r in self.all() if r["name"] == name]
        if not matches:
            raise UserErrorException(f"no {self.kind} named '{name}'")
        return matches[-1]

    def put(self, record: dict[str, Any]) -> None:
        write_json_atomic(self.folder / f"{record['id']}.json", record)


def _root(workspace: Deployment | None) -> Path:
    return (workspace or Deployment.current()).specs_root()
