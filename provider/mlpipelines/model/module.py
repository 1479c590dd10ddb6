"""``Module``, ``ModuleVersion``, ``ModuleVersionDescriptor``: versioned, reusable step
definitions (a script, its ports and parameters) that a ModuleStep runs.

Part of the Azure-ML-named facade over ``publishing.modules`` (the registry beside the
published pipelines); reading a module touches only local files, so DAG files may.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.module_ports import InputPortDef, OutputPortDef, port_specs
from mlpipelines.model.steps import _defining_folder, _resolve_source
from mlpipelines.model.workspace import Workspace
from mlpipelines.publishing.module_records import (
    ACTIVE,
    DEPRECATED,
    DISABLED,
    ModuleRecord,
    ModuleVersionRecord,
)
from mlpipelines.publishing.modules import ModuleContent, ModuleRegistry


@dataclass(frozen=True)
class ModuleVersionDescriptor:
    """One entry of ``Module.module_version_list()``: a version and its id."""

    version: str
    module_version_id: str


class Module:
    """A named container of versions: ``Module.create(ws, name, description)``,
    ``Module.get(ws, name=...)``, then ``publish_python_script(...)`` per version."""

    def __init__(self, workspace: Any, record: ModuleRecord) -> None:
        self.workspace = workspace
        self._record = record

    id = property(lambda self: self._record.id)
    name = property(lambda self: self._record.name)
    description = property(lambda self: self._record.description)
    status = property(lambda self: self._record.status)
    default_version = property(lambda self: self._record.default_version)

    @staticmethod
    def create(workspace: Any, name: str, description: str | None = None, **_: Any) -> Module:
        """A new module; the existing one when the name is taken (a notebook run again)."""
        return Module(workspace, _registry(workspace).create(name, description))

    @staticmethod
    def get(
        workspace: Any, module_id: str | None = None, name: str | None = None, **_: Any
    ) -> Module:
        """By id or by name."""
        registry = _registry(workspace)
        if module_id is not None:
            return Module(workspace, registry.get_by_id(module_id))
        if name is None:
            raise UserErrorException("Module.get needs module_id= or name=")
        return Module(workspace, registry.get(name))

    def publish_python_script(
        self,
        script_name: str,
        description: str | None = None,
        inputs: list[InputPortDef] | None = None,
        outputs: list[OutputPortDef] | None = None,
        params: dict[str, Any] | None = None,
        create_sequencing_ports: bool = True,
        version: str | None = None,
        is_default: bool = False,
        source_directory: str | os.PathLike[str] | None = None,
        hash_paths: list[str] | None = None,
        category: str | None = None,
        arguments: list[str] | None = None,
        runconfig: Any = None,
        **_: Any,
    ) -> ModuleVersion:
        """Publish ``script_name`` in a snapshot of ``source_directory`` (relative to the
        calling file's folder, as a step's) as ``version`` (None: the next number), with
        its ports and parameter defaults; ``is_default`` makes it the default version.
        ``hash_paths`` and ``runconfig`` are accepted and not kept: the whole snapshot is
        hashed, and the ModuleStep's own ``runconfig`` decides where it runs."""
        folder = None if source_directory is None else os.fspath(source_directory)
        content = ModuleContent(
            script_name,
            _resolve_source(folder, _defining_folder()),
            port_specs(inputs, InputPortDef),
            port_specs(outputs, OutputPortDef),
            _json_values(params, f"module '{self.name}' params"),
            _string_arguments(arguments, self.name),
            description,
            category,
        )
        registry = _registry(self.workspace)
        ship = _snapshot_shipper(_workspace(self.workspace))
        published = registry.publish(self._reload(), content, ship, version)
        if is_default:
            self._record = registry.set_default_version(self.name, published.version)
        return ModuleVersion(self.workspace, published)

    def module_version_list(self) -> list[ModuleVersionDescriptor]:
        """Every version, oldest first."""
        return [
            ModuleVersionDescriptor(v.version, v.id)
            for v in _registry(self.workspace).versions(self.name)
        ]

    def resolve(self, version: str | None = None) -> ModuleVersion:
        """The version a ModuleStep would run (see ``ModuleRegistry.resolve``)."""
        record = _registry(self.workspace).resolve(self.name, version)
        return ModuleVersion(self.workspace, record)

    def get_default(self) -> ModuleVersion:
        """The default version (or the one chosen without it, as ``resolve()``)."""
        return self.resolve()

    def get_default_version(self) -> str | None:
        return self._reload().default_version

    def set_default_version(self, version_id: Any) -> None:
        """Make a version (its version string, ``module_version_id`` or ModuleVersion) the
        one a ModuleStep without ``version`` runs."""
        version = _version_of(version_id, _registry(self.workspace).versions(self.name))
        self._record = _registry(self.workspace).set_default_version(self.name, version)

    def set_default(self, module_version: ModuleVersion) -> None:
        self.set_default_version(module_version)

    def set_description(self, description: str) -> None:
        record = self._reload()
        record.description = description
        _registry(self.workspace).save(record)

    def disable(self) -> None:
        """ModuleSteps refuse every version of a disabled module."""
        self._record = _registry(self.workspace).set_status(self.name, DISABLED)

    def deprecate(self) -> None:
        """ModuleSteps still run a deprecated module's versions, with a UserWarning."""
        self._record = _registry(self.workspace).set_status(self.name, DEPRECATED)

    def enable(self) -> None:
        self._record = _registry(self.workspace).set_status(self.name, ACTIVE)

    def _reload(self) -> ModuleRecord:
        self._record = _registry(self.workspace).get(self.name)
        return self._record

    def __repr__(self) -> str:
        return (
            f"Module(name={self.name!r}, default_version={self.default_version!r}, "
            f"status={self.status!r})"
        )


class ModuleVersion:
    """One published version of a module: its script snapshot, ports and parameters."""

    def __init__(self, workspace: Any, record: ModuleVersionRecord) -> None:
        self.workspace = workspace
        self._record = record

    version = property(lambda self: self._record.version)
    module_version_id = property(lambda self: self._record.id)
    module_id = property(lambda self: self._record.module_id)
    description = property(lambda self: self._record.description)
    category = property(lambda self: self._record.category)
    script_name = property(lambda self: self._record.script_name)
    record = property(lambda self: self._record)

    @property
    def status(self) -> str:
        """Active, Deprecated or Disabled (this version's own, read afresh)."""
        registry = _registry(self.workspace)
        return registry.get(self._record.module_name).status_of(self.version)

    @property
    def interface(self) -> dict[str, Any]:
        """The ports and parameter defaults: ``{"inputs": [...], "outputs": [...],
        "parameters": {...}}``."""
        return {
            "inputs": [p.name for p in self._record.inputs],
            "outputs": [p.name for p in self._record.outputs],
            "parameters": dict(self._record.params),
        }

    @staticmethod
    def get(
        workspace: Any,
        module_version_id: str | None = None,
        module_id: str | None = None,
        version: str | None = None,
        **_: Any,
    ) -> ModuleVersion:
        """By ``module_version_id``, or by ``module_id`` and ``version``."""
        registry = _registry(workspace)
        if module_version_id is not None:
            for name in registry.names():
                for record in registry.versions(name):
                    if record.id == module_version_id:
                        return ModuleVersion(workspace, record)
            raise UserErrorException(f"no module version with id '{module_version_id}'")
        if module_id is None or version is None:
            raise UserErrorException(
                "ModuleVersion.get needs module_version_id=, or module_id= and version="
            )
        module = registry.get_by_id(module_id)
        return ModuleVersion(workspace, registry.version(module.name, version))

    def module(self, **_: Any) -> Module:
        """The module this version belongs to."""
        return Module.get(self.workspace, name=self._record.module_name)

    def deprecate(self) -> None:
        """ModuleSteps still run a deprecated version, with a warning."""
        self._set_status(DEPRECATED)

    def disable(self) -> None:
        """ModuleSteps refuse a disabled version."""
        self._set_status(DISABLED)

    def enable(self) -> None:
        self._set_status(ACTIVE)

    def _set_status(self, status: str) -> None:
        _registry(self.workspace).set_status(self._record.module_name, status, self.version)

    def __repr__(self) -> str:
        return f"ModuleVersion(module={self._record.module_name!r}, version={self.version!r})"


def usable_version(workspace: Any, record: ModuleVersionRecord, step_name: str) -> None:
    """Refuse a version (or module) that is disabled; warn where it is deprecated."""
    module = _registry(workspace).get(record.module_name)
    version = f"module '{module.name}' version '{record.version}'"
    for status, what, advice in (
        (module.status, f"module '{module.name}'", "enable it with Module.enable()"),
        (module.status_of(record.version), version, "enable it or choose another version"),
    ):
        if status == DISABLED:
            raise UserErrorException(f"ModuleStep '{step_name}': {what} is disabled; {advice}")
        if status == DEPRECATED:
            warnings.warn(
                f"ModuleStep '{step_name}': {what} is deprecated (running {version})",
                UserWarning,
                stacklevel=4,
            )


def _registry(workspace: Any) -> ModuleRegistry:
    return ModuleRegistry(_workspace(workspace))


def _workspace(workspace: Any) -> Any:
    return workspace if workspace is not None else Workspace.current()


def _version_of(version_id: Any, versions: list[ModuleVersionRecord]) -> str:
    if isinstance(version_id, ModuleVersion):
        return str(version_id.version)
    for record in versions:
        if version_id in (record.id, record.version):
            return record.version
    return str(version_id)  # the registry names the versions there are


def _json_values(values: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """Parameter defaults, which are stored: JSON values only."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UserErrorException(f"{what} must be a dict, not {values!r}")
    try:
        json.dumps(values)
    except TypeError as exc:
        raise UserErrorException(f"{what}: defaults must be JSON values ({exc})") from None
    return dict(values)


def _string_arguments(arguments: list[Any] | None, module: str) -> tuple[str, ...]:
    """A module's default arguments: strings only (data and parameters are bound by the
    ModuleStep's own ``arguments``)."""
    values = list(arguments or [])
    bad = [a for a in values if not isinstance(a, str)]
    if bad:
        raise UserErrorException(
            f"module '{module}': default arguments must be strings; pass data and "
            f"parameters in the ModuleStep's arguments instead of {bad[0]!r}"
        )
    return tuple(values)


def _snapshot_shipper(workspace: Any) -> Any:
    """How a version's snapshot reaches the deployment: through the plugin for a client with
    only the URL and a token, else onto the default datastore directly."""
    from mlpipelines.records import SourceRef

    if workspace.uses_rest_store:
        from mlpipelines.client.airflow_api import AirflowApi
        from mlpipelines.client.snapshot_upload import upload_snapshot

        api = AirflowApi.from_workspace(workspace)
        name = workspace.default_datastore_name
        return lambda snapshot: upload_snapshot(api, snapshot, name).source_ref
    from mlpipelines.storage.snapshots import ship_snapshot

    store = workspace.get_default_datastore()
    return lambda snapshot: SourceRef(store.spec, ship_snapshot(snapshot, store.location))
