"""``InputPortDef`` and ``OutputPortDef``: the named inputs and outputs a module version
declares, which a ModuleStep's ``inputs_map`` and ``outputs_map`` bind data to.

Part of the Azure-ML-named facade; each is stored as a ``publishing.module_records.PortSpec``.
"""

from __future__ import annotations

from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.module_records import PortSpec

INPUT_MODES = ("mount", "download", "direct")
OUTPUT_MODES = ("mount", "upload")


class InputPortDef:
    """An input port: ``name`` and how data bound to it is read by default
    (``default_datastore_mode``: "mount" or "download"); ``is_optional`` ports may stay
    unbound. ``default_data_reference_name`` and ``data_types`` are kept, not used."""

    def __init__(
        self,
        name: str,
        default_datastore_mode: str = "mount",
        default_path_on_compute: str | None = None,
        is_optional: bool = False,
        default_overwrite: bool = False,
        default_data_reference_name: str | None = None,
        is_resource: bool = False,
        label: str | None = None,
        data_types: list[str] | None = None,
        **_: Any,
    ) -> None:
        self.name = _port_name(name)
        self.default_datastore_mode = _mode(name, default_datastore_mode, INPUT_MODES)
        self.default_path_on_compute = default_path_on_compute
        self.is_optional = bool(is_optional)
        self.default_overwrite = default_overwrite
        self.default_data_reference_name = default_data_reference_name
        self.is_resource = is_resource
        self.label = label
        self.data_types = data_types

    def spec(self) -> PortSpec:
        return PortSpec(
            self.name,
            self.default_datastore_mode,
            self.is_optional,
            self.default_data_reference_name,
            self.default_path_on_compute,
            None,
            self.label,
        )

    def __repr__(self) -> str:
        return f"InputPortDef(name={self.name!r}, mode={self.default_datastore_mode!r})"


class OutputPortDef:
    """An output port: ``name``, and the datastore and mode its data gets by default. Here
    the PipelineData bound to it decides both (its own datastore, else the pipeline's)."""

    def __init__(
        self,
        name: str,
        default_datastore_name: str | None = None,
        default_datastore_mode: str = "mount",
        default_path_on_compute: str | None = None,
        is_directory: bool = False,
        data_type: str | None = None,
        default_overwrite: bool | None = None,
        training_output: Any = None,
        label: str | None = None,
        **_: Any,
    ) -> None:
        self.name = _port_name(name)
        self.default_datastore_name = default_datastore_name
        self.default_datastore_mode = _mode(name, default_datastore_mode, OUTPUT_MODES)
        self.default_path_on_compute = default_path_on_compute
        self.is_directory = is_directory
        self.data_type = data_type
        self.default_overwrite = default_overwrite
        self.training_output = training_output
        self.label = label

    def spec(self) -> PortSpec:
        return PortSpec(
            self.name,
            self.default_datastore_mode,
            False,
            self.default_datastore_name,
            self.default_path_on_compute,
            self.is_directory,
            self.label,
        )

    def __repr__(self) -> str:
        return f"OutputPortDef(name={self.name!r}, mode={self.default_datastore_mode!r})"


def port_specs(ports: Any, kind: type[InputPortDef] | type[OutputPortDef]) -> tuple[PortSpec, ...]:
    """A module version's ``inputs`` or ``outputs`` (a list of ``kind``) as stored specs."""
    specs = []
    for port in list(ports or []):
        if not isinstance(port, kind):
            raise UserErrorException(
                f"expected {kind.__name__} objects in a module's ports, got {port!r}"
            )
        specs.append(port.spec())
    return tuple(specs)


def _port_name(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise UserErrorException(
            f"a port name must be an identifier (letters, digits, '_'), not {name!r}"
        )
    return name


def _mode(name: str, mode: str, allowed: tuple[str, ...]) -> str:
    if mode not in allowed:
        raise UserErrorException(f"port '{name}': mode '{mode}' is not one of {', '.join(allowed)}")
    return mode
