"""``ModuleStep``: a published module version placed in a pipeline, its ports bound to data.

The version is resolved (and its ports and parameters checked) when the step is made; the
step then plans as a PythonScriptStep whose source is the version's stored snapshot, so it
has no operator or runner of its own: reuse, logs, metrics and containers are the script
step's. Reading the version touches only the registry's local files (fine in a DAG file).
"""

from __future__ import annotations

from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException
from mlpipelines.model.data import PipelineData
from mlpipelines.model.module import Module, ModuleVersion, usable_version
from mlpipelines.model.steps import Step
from mlpipelines.publishing.module_records import ModuleVersionRecord
from mlpipelines.records import SourceRef


class ModuleStep(Step):
    """Runs a module version's script: ``ModuleStep(module=, version=, inputs_map={port:
    data}, outputs_map={port: data}, arguments=[...], params={...})`` or
    ``ModuleStep(module_version=...)``. Without ``version`` the module resolves one
    (``Module.resolve``)."""

    kind: ClassVar[str] = "python_script"

    def __init__(
        self,
        module: Module | None = None,
        version: str | None = None,
        module_version: ModuleVersion | None = None,
        inputs_map: dict[str, Any] | None = None,
        outputs_map: dict[str, Any] | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: dict[str, Any] | None = None,
        arguments: list[Any] | None = None,
        params: dict[str, Any] | None = None,
        name: str | None = None,
        allow_reuse: bool = True,
        **_: Any,
    ) -> None:
        chosen = _resolved(module, version, module_version, name)
        record: ModuleVersionRecord = chosen.record
        inputs_map = _mapping(inputs_map, "inputs_map", name, record)
        outputs_map = _mapping(outputs_map, "outputs_map", name, record)
        step_name = name if name is not None else _default_name(record, outputs_map)
        usable_version(chosen.workspace, record, step_name)
        problems = [
            *_port_problems("input", record, inputs_map),
            *_port_problems("output", record, outputs_map),
            *_param_problems(record, params),
        ]
        if problems:
            raise UserErrorException(f"{_describe(step_name, record)}: " + "; ".join(problems))
        chosen_arguments = list(arguments) if arguments is not None else list(record.arguments)
        super().__init__(
            name=step_name,
            inputs=_bound_inputs(record, inputs_map),
            outputs=[outputs_map[p.name] for p in record.outputs if p.name in outputs_map],
            compute_target=compute_target,
            allow_reuse=allow_reuse,
            arguments=chosen_arguments,
        )
        self.module_version = chosen
        self.arguments = chosen_arguments
        self.params = {**record.params, **(params or {})}
        self.runconfig = runconfig
        self.runconfig_pipeline_params = runconfig_pipeline_params

    @property
    def argument_values(self) -> list[Any]:
        return self.arguments

    @property
    def param_values(self) -> dict[str, Any]:
        return self.params

    def definition_extras(self) -> dict[str, Any]:
        """The version's script in its stored snapshot, and the run configuration's
        interpreter and environment variables, as a PythonScriptStep's."""
        record: ModuleVersionRecord = self.module_version.record
        environment = getattr(self.runconfig, "environment", None)
        python = getattr(environment, "python", None)
        return {
            "script_name": record.script_name,
            "source_ref": SourceRef(record.source.store, record.source.path),
            "interpreter": getattr(python, "interpreter_path", None),
            "environment_variables": dict(
                getattr(environment, "environment_variables", None) or {}
            ),
        }

    def __repr__(self) -> str:
        record = self.module_version.record
        return (
            f"ModuleStep(name={self.name!r}, module={record.module_name!r}, "
            f"version={record.version!r})"
        )


def _resolved(
    module: Module | None, version: Any, module_version: ModuleVersion | None, name: str | None
) -> ModuleVersion:
    """The version a step runs: ``module_version``, else ``module``'s ``version`` or its
    resolved one (errors name the step where it is named)."""
    try:
        if module_version is not None:
            if not isinstance(module_version, ModuleVersion):
                raise UserErrorException(
                    f"module_version must be a ModuleVersion, not {module_version!r}"
                )
            return module_version
        if not isinstance(module, Module):
            raise UserErrorException(
                "ModuleStep needs module= (a Module, e.g. Module.get(ws, name=...)) or "
                f"module_version=, not {module!r}"
            )
        return module.resolve(None if version is None else str(version))
    except UserErrorException as exc:
        where = f"ModuleStep '{name}'" if name is not None else "ModuleStep"
        raise UserErrorException(f"{where}: {exc}") from None


def _mapping(
    given: Any, what: str, name: str | None, record: ModuleVersionRecord
) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, dict) or not all(isinstance(k, str) for k in given):
        raise UserErrorException(
            f"{_describe(name or record.module_name, record)}: {what} must map port names "
            f"to data, not {given!r}"
        )
    return dict(given)


def _default_name(record: ModuleVersionRecord, outputs_map: dict[str, Any]) -> str:
    """The module's name and the first output's data name: the old SDK names every step of
    a module alike, but a task id must be unique, and a pipeline's output names are."""
    for port in record.outputs:
        data = outputs_map.get(port.name)
        if data is not None and getattr(data, "name", None):
            return f"{record.module_name}_{data.name}"
    return f"{record.module_name}_v{record.version}"


def _describe(step_name: str, record: ModuleVersionRecord) -> str:
    return f"ModuleStep '{step_name}' (module '{record.module_name}' version '{record.version}')"


def _port_problems(role: str, record: ModuleVersionRecord, bound: dict[str, Any]) -> list[str]:
    """Ports the map names but the version lacks, and required ports it leaves unbound."""
    ports = record.inputs if role == "input" else record.outputs
    names = [p.name for p in ports]
    listed = ", ".join(names) or "none"
    problems = [
        f"{role}s_map names port '{key}', which the version does not have ({role}s: {listed})"
        for key in bound
        if key not in names
    ]
    problems += [
        f"{role} port '{p.name}' is not bound (add it to {role}s_map)"
        for p in ports
        if p.name not in bound and not p.optional
    ]
    problems += [
        f"{role} port '{key}' is bound to None"
        for key, value in bound.items()
        if value is None and key in names
    ]
    return problems


def _param_problems(record: ModuleVersionRecord, params: Any) -> list[str]:
    if params is None:
        return []
    if not isinstance(params, dict):
        return [f"params must be a dict, not {params!r}"]
    listed = ", ".join(record.params) or "none"
    return [
        f"params names '{key}', which the version does not declare (parameters: {listed})"
        for key in params
        if key not in record.params
    ]


def _bound_inputs(record: ModuleVersionRecord, inputs_map: dict[str, Any]) -> list[Any]:
    """Each bound input, known to the script by its port's name; a PipelineData is read in
    the port's default mode (a reading the user made, such as ``as_download()``, stays)."""
    inputs = []
    for port in record.inputs:
        data = inputs_map.get(port.name)
        if data is None:
            continue
        if isinstance(data, PipelineData):
            data = (
                data.as_download(port.name) if port.mode == "download" else data.as_input(port.name)
            )
        inputs.append(data)
    return inputs
