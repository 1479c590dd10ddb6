"""An Azure-ML-style run request (``ExperimentName``, ``ParameterAssignments``, ``RunSource``,
``PipelineVersion``) checked against a pipeline's parameters and turned into DAG-run conf.

Checked here, before Airflow sees it, because Airflow accepts unknown conf keys silently:
a misspelt parameter would otherwise run the pipeline with its default.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlpipelines.errors import UserErrorException

KNOWN_FIELDS = frozenset(
    {
        "ExperimentName",
        "ParameterAssignments",
        "RunSource",
        "PipelineVersion",
        "DataPathAssignments",
        "DataSetDefinitionValueAssignments",
        "Description",
        "Tags",
    }
)


class RunRequestError(UserErrorException):
    """A run request that must be refused before any run exists (HTTP 400)."""


@dataclass(frozen=True)
class RunRequest:
    """A checked request: the conf to trigger with and the note to show on the run."""

    experiment_name: str | None
    conf: dict[str, Any]
    note: str
    pipeline_version: str | None


def parse_run_request(
    body: Any, params: list[dict[str, Any]], for_endpoint: bool = True
) -> RunRequest:
    """Check ``body`` against the DAG's ``params`` (the spec's name/default/type records);
    ``PipelineVersion`` is refused unless the request goes to an endpoint."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise RunRequestError("the request body must be a JSON object")
    unknown_fields = sorted(set(body) - KNOWN_FIELDS)
    if unknown_fields:
        raise RunRequestError(
            f"unknown field(s) {', '.join(unknown_fields)}; "
            f"the body may hold {', '.join(sorted(KNOWN_FIELDS))}"
        )
    if not for_endpoint and body.get("PipelineVersion") is not None:
        raise RunRequestError(
            "PipelineVersion is for pipeline endpoints; a published pipeline is one version"
        )
    assignments = body.get("ParameterAssignments") or {}
    if not isinstance(assignments, dict):
        raise RunRequestError("ParameterAssignments must be a JSON object of name: value")
    conf = check_parameters(assignments, params)
    conf.update(check_data_paths(body.get("DataPathAssignments") or {}, params))
    conf.update(
        check_dataset_assignments(body.get("DataSetDefinitionValueAssignments") or {}, params)
    )
    experiment = body.get("ExperimentName")
    if experiment is not None and not isinstance(experiment, str):
        raise RunRequestError("ExperimentName must be a string")
    tags = body.get("Tags") or {}
    if not isinstance(tags, dict):
        raise RunRequestError("Tags must be a JSON object")
    if experiment:
        conf["mlpipelines_experiment"] = experiment
    if tags:
        conf["mlpipelines_tags"] = {str(k): str(v) for k, v in tags.items()}
    source = str(body.get("RunSource") or "REST")
    note = f"{source} run" + (f" of experiment {experiment}" if experiment else "")
    if body.get("Description"):
        note += f": {body['Description']}"
    version = body.get("PipelineVersion")
    return RunRequest(experiment, conf, note, None if version is None else str(version))


def check_parameters(assignments: dict[str, Any], params: list[dict[str, Any]]) -> dict[str, Any]:
    """The assignments as typed conf values; unknown names or wrong types raise."""
    by_name = {p["name"]: p for p in params}
    unknown = sorted(set(assignments) - set(by_name))
    if unknown:
        raise RunRequestError(
            f"unknown parameter(s) {', '.join(repr(n) for n in unknown)}; "
            f"this pipeline takes: {', '.join(sorted(by_name)) or 'no parameters'}"
        )
    return {name: _typed(name, value, by_name[name]["type"]) for name, value in assignments.items()}


def check_data_paths(assignments: Any, params: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"param": {"DataStoreName", "RelativePath"}}`` as conf values of DataPath parameters."""
    if not isinstance(assignments, dict):
        raise RunRequestError("DataPathAssignments must be a JSON object of name: data path")
    data_paths = {p["name"] for p in params if p["type"] == "object"}
    conf = {}
    for name, value in assignments.items():
        if name not in data_paths:
            raise RunRequestError(
                f"'{name}' is not a DataPath parameter of this pipeline; "
                f"it has: {', '.join(sorted(data_paths)) or 'none'}"
            )
        if not isinstance(value, dict) or not isinstance(value.get("DataStoreName"), str):
            raise RunRequestError(
                f"DataPathAssignments['{name}'] needs DataStoreName and RelativePath"
            )
        path = str(value.get("RelativePath") or "")
        if ".." in path.replace("\\", "/").split("/"):
            raise RunRequestError(f"DataPathAssignments['{name}']: '{path}' leaves the datastore")
        conf[name] = {"datastore": value["DataStoreName"], "path": path}
    return conf


def check_dataset_assignments(assignments: Any, params: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"param": {"DataSetReference": {"Id"} or {"Name", "Version"}}}`` (also
    ``SavedDataSetReference``, ``DataPath``, or our ``Definition``: a dataset document) as
    conf values of dataset parameters; a registered one is read when the step runs."""
    if not isinstance(assignments, dict):
        raise RunRequestError(
            "DataSetDefinitionValueAssignments must be a JSON object of name: dataset"
        )
    datasets = {p["name"] for p in params if _is_dataset_param(p)}
    conf = {}
    for name, value in assignments.items():
        if name not in datasets:
            raise RunRequestError(
                f"'{name}' is not a dataset parameter of this pipeline; "
                f"it has: {', '.join(sorted(datasets)) or 'none'}"
            )
        conf[name] = _dataset_value(name, value)
    return conf


def _is_dataset_param(param: dict[str, Any]) -> bool:
    default = param.get("default")
    return param["type"] == "object" and isinstance(default, dict) and "dataset" in default


def _dataset_value(name: str, value: Any) -> dict[str, Any]:
    where = f"DataSetDefinitionValueAssignments['{name}']"
    value = value if isinstance(value, dict) else {}
    reference = value.get("DataSetReference") or value.get("SavedDataSetReference")
    if isinstance(reference, dict) and (reference.get("Id") or reference.get("Name")):
        if reference.get("Id"):
            return {"registered": {"id": str(reference["Id"])}}
        version = reference.get("Version")
        return {
            "registered": {
                "name": str(reference["Name"]),
                "version": "latest" if version in (None, "") else str(version),
            }
        }
    if isinstance(value.get("DataPath"), dict):
        return check_data_paths({name: value["DataPath"]}, [{"name": name, "type": "object"}])[name]
    definition = value.get("Definition")
    if isinstance(definition, dict) and definition.get("kind") in ("tabular", "file"):
        return {"dataset": definition}
    raise RunRequestError(
        f"{where} needs DataSetReference ({{Id}} or {{Name, Version}}), SavedDataSetReference, "
        "DataPath or Definition"
    )


def parameter_value(value: Any) -> Any:
    """A pipeline parameter value as JSON: a dataset as ``{"dataset": its document}``, a
    DataPath as ``{"datastore", "path"}`` (checked by shape: this layer knows no model)."""
    if getattr(value, "kind", None) in ("tabular", "file") and hasattr(value, "to_dict"):
        return {"dataset": value.to_dict()}
    if hasattr(value, "path_on_datastore") and hasattr(value, "datastore_name"):
        path = str(value.path_on_datastore or "")
        if ".." in path.replace("\\", "/").split("/"):
            raise RunRequestError(f"DataPath '{path}' leaves the datastore")
        return {"datastore": value.datastore_name, "path": path}
    return value


def run_request_assignments(pipeline_parameters: dict[str, Any] | None) -> dict[str, Any]:
    """The body fields for ``pipeline_parameters`` as Azure ML's SDK sends them: values in
    ``ParameterAssignments``, DataPaths in ``DataPathAssignments``, datasets in
    ``DataSetDefinitionValueAssignments`` (registered ones by id, others as a definition)."""
    scalars: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    datasets: dict[str, Any] = {}
    for name, value in (pipeline_parameters or {}).items():
        converted = parameter_value(value)
        if converted is value:
            scalars[name] = value
        elif "datastore" in converted:
            paths[name] = {
                "DataStoreName": converted["datastore"],
                "RelativePath": converted["path"],
            }
        elif getattr(value, "id", None):
            datasets[name] = {"DataSetReference": {"Id": value.id}}
        else:
            datasets[name] = {"Definition": converted["dataset"]}
    body: dict[str, Any] = {"ParameterAssignments": scalars}
    if paths:
        body["DataPathAssignments"] = paths
    if datasets:
        body["DataSetDefinitionValueAssignments"] = datasets
    return body


def _typed(name: str, value: Any, kind: str) -> Any:
    """``value`` as the parameter's JSON type; numeric and boolean text is accepted because
    the old service's REST clients often sent every value as a string."""
    convert = _CONVERTERS.get(kind)
    if convert is None:
        return parameter_value(value)
    typed = convert(value)
    if typed is None:
        raise RunRequestError(
            f"parameter '{name}' must be of type {kind}, got {type(value).__name__} {value!r}"
        )
    return typed


def _as_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number: int | float = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    # NaN and infinity are not JSON numbers: Airflow could not store them in the conf.
    return number if math.isfinite(number) else None


def _as_string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# Each parameter type's converter; it returns None for a value that is not of the type (no
# parameter of these types can be null). Other types (DataPath objects) pass as they are.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "boolean": _as_boolean,
    "integer": _as_integer,
    "number": _as_number,
    "string": _as_string,
}
