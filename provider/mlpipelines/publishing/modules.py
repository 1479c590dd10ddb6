"""The module registry: modules and their immutable versions, kept beside the published
pipelines (in the specs folder, read at DAG parse time with no network), each version's
source a content-addressed snapshot on the default datastore, shipped as a submitted
pipeline's snapshots are.

Layout: ``.mlpipelines/modules/<name>.json`` (the module: status, default version) and
``.mlpipelines/modules/<name>/<version>.json`` (each version, created once).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.module_records import (
    DISABLED,
    STATUSES,
    ModuleRecord,
    ModuleVersionRecord,
    PortSpec,
)
from mlpipelines.records import SourceRef
from mlpipelines.storage.control_store import ControlStore, control_store
from mlpipelines.storage.deployment import Deployment

MODULES_COLLECTION = "modules"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")
SEMVER = re.compile(r"^\d+(\.\d+){0,2}$")


class ModuleRegistry:
    """The modules of one deployment (``deployment``: the workspace; default: this process's)."""

    def __init__(self, deployment: Deployment | None = None) -> None:
        self.documents = _Collection(control_store(deployment), MODULES_COLLECTION)

    # -- modules ----------------------------------------------------------------------------
    def create(self, name: Any, description: str | None = None) -> ModuleRecord:
        """A new module named ``name``; the existing one if the name is taken (so a notebook
        run again finds its module, and two creators racing get the same one)."""
        record = ModuleRecord(
            str(uuid.uuid4()), _checked("module name", name), description, created=time.time()
        )
        if self.documents.create(f"{name}.json", record.to_json()):
            return record
        return self.get(name)

    def get(self, name: str) -> ModuleRecord:
        """The module named ``name``; an unknown name is an error listing the known ones."""
        if isinstance(name, str) and NAME.match(name):
            try:
                return ModuleRecord.from_json(self.documents.read(f"{name}.json"))
            except FileNotFoundError:
                pass
        known = ", ".join(self.names()) or "none"
        raise UserErrorException(f"no module named {name!r} (modules: {known})")

    def get_by_id(self, module_id: str) -> ModuleRecord:
        for name in self.names():
            record = self.get(name)
            if record.id == module_id:
                return record
        raise UserErrorException(f"no module with id '{module_id}'")

    def names(self) -> list[str]:
        """Every module's name, sorted."""
        return sorted(n[: -len(".json")] for n in self.documents.children() if n.endswith(".json"))

    def save(self, record: ModuleRecord) -> None:
        """Replace a module's record (status, default version, versions' status)."""
        self.documents.write(f"{record.name}.json", record.to_json())

    def set_status(self, name: str, status: str, version: str | None = None) -> ModuleRecord:
        """Set the status of a module, or of one of its versions."""
        if status not in STATUSES:
            raise UserErrorException(f"status {status!r} is not one of {', '.join(STATUSES)}")
        record = self.get(name)
        if version is None:
            record.status = status
        else:
            record.version_status[self.version(name, version).version] = status
        self.save(record)
        return record

    def set_default_version(self, name: str, version: str) -> ModuleRecord:
        """Make ``version`` the one a ModuleStep without a version runs."""
        record = self.get(name)
        record.default_version = self.version(name, version).version
        self.save(record)
        return record

    # -- versions ---------------------------------------------------------------------------
    def versions(self, name: str) -> list[ModuleVersionRecord]:
        """Every version of a module, oldest first."""
        self.get(name)
        found = [ModuleVersionRecord.from_json(d) for d in self.documents.read_all(name)]
        return sorted(found, key=lambda v: (v.created, v.version))

    def version(self, name: str, version: Any) -> ModuleVersionRecord:
        """One version of a module; an unknown one is an error listing the versions."""
        wanted = str(version)
        if NAME.match(wanted):
            try:
                return ModuleVersionRecord.from_json(self.documents.read(f"{name}/{wanted}.json"))
            except FileNotFoundError:
                pass
        listed = ", ".join(v.version for v in self.versions(name)) or "none"
        raise UserErrorException(f"module '{name}' has no version '{wanted}'; versions: {listed}")

    def resolve(self, name: str, version: Any = None) -> ModuleVersionRecord:
        """The version a ModuleStep runs: ``version`` if given; else the module's default;
        else, when every version number is semantic, the highest; else the newest. Disabled
        versions are never chosen for the user."""
        if version is not None:
            return self.version(name, version)
        record = self.get(name)
        if record.default_version is not None:
            return self.version(name, record.default_version)
        usable = [v for v in self.versions(name) if record.status_of(v.version) != DISABLED]
        if not usable:
            raise UserErrorException(f"module '{name}' has no version to run; publish one first")
        if all(SEMVER.match(v.version) for v in usable):
            return max(usable, key=lambda v: tuple(int(n) for n in v.version.split(".")))
        return usable[-1]

    def publish(
        self,
        module: ModuleRecord,
        content: ModuleContent,
        ship: Callable[[Any], SourceRef],
        version: str | None = None,
    ) -> ModuleVersionRecord:
        """Snapshot ``content``'s source folder, ship it with ``ship`` (snapshot -> where it
        now lives: onto the default datastore, or through the plugin for a REST-only client)
        and record it as ``version`` of ``module`` (None: one more than its highest
        whole-number version).

        A version holds what it was published with for ever: publishing the same content
        again returns it (a notebook run again); other content under a taken version is an
        error naming the next free number.
        """
        # Hashing and copying are client work: DAG files that only read modules skip them.
        from mlpipelines.snapshot import take_snapshot

        taken = [v.version for v in self.versions(module.name)]
        if version is None:
            version = _next_number(taken)
        version = _checked(f"module '{module.name}' version", str(version))
        snapshot = take_snapshot(content.source_directory)
        if content.script_name not in snapshot.files:
            raise UserErrorException(
                f"module '{module.name}': script '{content.script_name}' is not in "
                f"source_directory '{content.source_directory}' (or it is ignored there)"
            )
        record = content.record(module, version, ship(snapshot), snapshot.digest)
        if self.documents.create(f"{module.name}/{version}.json", record.to_json()):
            return record
        existing = self.version(module.name, version)
        if existing.same_content(record):
            return existing
        raise UserErrorException(
            f"module '{module.name}' already has a different version '{version}'; versions "
            f"never change: publish this as version '{_next_number(taken)}'"
        )


class ModuleContent:
    """What a version is published with: a script in a source folder, ports, parameter
    defaults and default arguments."""

    def __init__(
        self,
        script_name: str,
        source_directory: str,
        inputs: tuple[PortSpec, ...] = (),
        outputs: tuple[PortSpec, ...] = (),
        params: dict[str, Any] | None = None,
        arguments: tuple[str, ...] = (),
        description: str | None = None,
        category: str | None = None,
    ) -> None:
        if not isinstance(script_name, str) or not script_name.strip():
            raise UserErrorException(f"script_name {script_name!r} must name a file")
        if not os.path.isdir(source_directory):
            raise UserErrorException(f"source_directory '{source_directory}' does not exist")
        names = [p.name for p in (*inputs, *outputs)]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise UserErrorException(f"port names must be unique; repeated: {', '.join(doubled)}")
        self.script_name = script_name.replace("\\", "/")
        self.source_directory = source_directory
        self.inputs = inputs
        self.outputs = outputs
        self.params = dict(params or {})
        self.arguments = arguments
        self.description = description
        self.category = category

    def record(
        self, module: ModuleRecord, version: str, source: SourceRef, digest: str
    ) -> ModuleVersionRecord:
        return ModuleVersionRecord(
            id=str(uuid.uuid4()),
            module_id=module.id,
            module_name=module.name,
            version=version,
            script_name=self.script_name,
            source=source,
            digest=digest,
            description=self.description,
            inputs=self.inputs,
            outputs=self.outputs,
            params=self.params,
            arguments=self.arguments,
            category=self.category,
            created=time.time(),
        )


def _checked(what: str, name: Any) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise UserErrorException(
            f"{what} {name!r} must start with a letter or digit and hold only letters, "
            "digits, '_', '.', '-' (at most 255 characters)"
        )
    return name


def _next_number(taken: list[str]) -> str:
    return str(max((int(v) for v in taken if v.isdigit()), default=0) + 1)


class _Collection:
    """One collection of the control store, paths relative to it."""

    def __init__(self, store: ControlStore, name: str) -> None:
        self.store = store
        self.name = name

    def read(self, relative: str) -> Any:
        return self.store.read(f"{self.name}/{relative}")

    def write(self, relative: str, data: Any) -> None:
        self.store.write(f"{self.name}/{relative}", data)

    def create(self, relative: str, data: Any) -> bool:
        return self.store.create(f"{self.name}/{relative}", data)

    def children(self, folder: str = "") -> list[str]:
        return self.store.children(f"{self.name}/{folder}".rstrip("/"))

    def read_all(self, folder: str) -> list[Any]:
        return self.store.read_all(f"{self.name}/{folder}")
