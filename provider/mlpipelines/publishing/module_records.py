"""The stored shapes of modules (Azure ML's ``Module``): a module, one immutable version of
it, and the input and output ports a version declares. JSON with ``"schema": 1``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlpipelines.records import SourceRef

MODULE_SCHEMA = 1
ACTIVE = "Active"
DEPRECATED = "Deprecated"
DISABLED = "Disabled"
STATUSES = (ACTIVE, DEPRECATED, DISABLED)


@dataclass(frozen=True)
class PortSpec:
    """One input or output port of a module version: a name the step's ``inputs_map`` or
    ``outputs_map`` binds data to, and the defaults Azure ML's port definitions carry."""

    name: str
    mode: str = "mount"
    optional: bool = False
    datastore: str | None = None
    path_on_compute: str | None = None
    is_directory: bool | None = None
    label: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "optional": self.optional,
            "datastore": self.datastore,
            "path_on_compute": self.path_on_compute,
            "is_directory": self.is_directory,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PortSpec:
        return cls(
            data["name"],
            data.get("mode") or "mount",
            bool(data.get("optional")),
            data.get("datastore"),
            data.get("path_on_compute"),
            data.get("is_directory"),
            data.get("label"),
        )


@dataclass(frozen=True)
class ModuleVersionRecord:
    """One published version: a script in a content-addressed source snapshot, its ports,
    parameter defaults and default arguments. Created once, never rewritten."""

    id: str
    module_id: str
    module_name: str
    version: str
    script_name: str
    source: SourceRef
    digest: str
    description: str | None = None
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    arguments: tuple[str, ...] = ()
    category: str | None = None
    created: float = 0.0

    def same_content(self, other: ModuleVersionRecord) -> bool:
        """Whether ``other`` publishes what this version holds (a notebook run again)."""
        return self.to_json(content_only=True) == other.to_json(content_only=True)

    def to_json(self, content_only: bool = False) -> dict[str, Any]:
        content: dict[str, Any] = {
            "script_name": self.script_name,
            "digest": self.digest,
            "inputs": [p.to_json() for p in self.inputs],
            "outputs": [p.to_json() for p in self.outputs],
            "params": dict(self.params),
            "arguments": list(self.arguments),
        }
        if content_only:
            return content
        return {
            "schema": MODULE_SCHEMA,
            "id": self.id,
            "module_id": self.module_id,
            "module_name": self.module_name,
            "version": self.version,
            "source": self.source.to_json(),
            "description": self.description,
            "category": self.category,
            "created": self.created,
            **content,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleVersionRecord:
        return cls(
            id=data["id"],
            module_id=data["module_id"],
            module_name=data["module_name"],
            version=str(data["version"]),
            script_name=data["script_name"],
            source=SourceRef.from_json(data["source"]),
            digest=data["digest"],
            description=data.get("description"),
            inputs=tuple(PortSpec.from_json(p) for p in data.get("inputs") or ()),
            outputs=tuple(PortSpec.from_json(p) for p in data.get("outputs") or ()),
            params=dict(data.get("params") or {}),
            arguments=tuple(data.get("arguments") or ()),
            category=data.get("category"),
            created=float(data.get("created") or 0.0),
        )


@dataclass
class ModuleRecord:
    """A module: its name, status, default version and each version's status. The one
    mutable record of a module (its versions' content never changes)."""

    id: str
    name: str
    description: str | None = None
    status: str = ACTIVE
    default_version: str | None = None
    version_status: dict[str, str] = field(default_factory=dict)
    created: float = 0.0

    def status_of(self, version: str) -> str:
        return self.version_status.get(version, ACTIVE)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": MODULE_SCHEMA,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "default_version": self.default_version,
            "version_status": dict(self.version_status),
            "created": self.created,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleRecord:
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description"),
            status=data.get("status") or ACTIVE,
            default_version=data.get("default_version"),
            version_status=dict(data.get("version_status") or {}),
            created=float(data.get("created") or 0.0),
        )
