"""Where a datastore lives, as every step definition and XCom reference carries it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LOCAL_KIND = "local"
CONNECTION_KIND = "connection"  # an Airflow connection, resolved when a task runs


@dataclass(frozen=True)
class DatastoreSpec:
    """Where a datastore lives. A local folder with ``path=None`` lives under the Airflow home
    of whichever machine reads it, so DAGs never carry one machine's absolute path."""

    name: str
    kind: str = LOCAL_KIND
    path: str | None = None

    @property
    def is_local(self) -> bool:
        return self.kind == LOCAL_KIND

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "path": self.path}

    to_json = to_dict

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatastoreSpec:
        """A spec from its JSON; an old reference that names only a datastore is local."""
        return cls(str(data["name"]), data.get("kind") or LOCAL_KIND, data.get("path"))
