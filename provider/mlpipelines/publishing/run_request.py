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


def _typed(name: str, value: Any, kind: str) -> Any:
    """``value`` as the parameter's JSON type; numeric and boolean text is accepted because
    the old service's REST clients often sent every value as a string."""
    convert = _CONVERTERS.get(kind)
    if convert is None:
        return value
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
