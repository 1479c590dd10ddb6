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
from mlpipelines.records.parameter_limits import DATASTORE_NAME, integer_problem, string_problem

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


MAX_NAME_CHARS = 255
MAX_DESCRIPTION_CHARS = 5_000
MAX_TAGS = 100
MAX_TAG_CHARS = 1_000
MAX_ASSIGNMENTS = 1_000
# An error message names at most this many unknown names, each cut to this length.
MAX_ECHOED_NAMES = 10
MAX_ECHOED_CHARS = 100


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
    body: Any,
    params: list[dict[str, Any]],
    for_endpoint: bool = True,
    datastore_known: Callable[[str], bool] | None = None,
) -> RunRequest:
    """Check ``body`` against the DAG's ``params`` (the spec's name/default/type records);
    ``PipelineVersion`` is refused unless the request goes to an endpoint; a DataPath on a
    datastore ``datastore_known`` does not know is refused."""
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
    if datastore_known is not None:
        unknown = sorted(n for n in datastores_named(conf) if not datastore_known(n))
        if unknown:
            raise RunRequestError(
                f"no datastore named {_names(unknown)}: register it (an Airflow connection "
                "of that name) before a run reads it"
            )
    experiment = _text(body, "ExperimentName", MAX_NAME_CHARS)
    tags = _tags(body.get("Tags") or {})
    if experiment:
        conf["mlpipelines_experiment"] = experiment
    if tags:
        conf["mlpipelines_tags"] = tags
    source = _text(body, "RunSource", MAX_NAME_CHARS) or "REST"
    note = f"{source} run" + (f" of experiment {experiment}" if experiment else "")
    description = _text(body, "Description", MAX_DESCRIPTION_CHARS)
    if description:
        note += f": {description}"
    version = body.get("PipelineVersion")
    return RunRequest(experiment, conf, note, None if version is None else str(version))


def _text(body: dict[str, Any], field: str, limit: int) -> str | None:
    """A string field of the body, bounded and without NUL; None when absent."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RunRequestError(f"{field} must be a string")
    if len(value) > limit or "\x00" in value:
        raise RunRequestError(f"{field} must be at most {limit:,} characters, without NUL")
    return value


def _tags(tags: Any) -> dict[str, str]:
    if not isinstance(tags, dict):
        raise RunRequestError("Tags must be a JSON object")
    if len(tags) > MAX_TAGS:
        raise RunRequestError(f"Tags holds {len(tags):,} tags; the limit is {MAX_TAGS}")
    checked = {str(k): str(v) for k, v in tags.items()}
    if any(len(k) > MAX_TAG_CHARS or len(v) > MAX_TAG_CHARS for k, v in checked.items()):
        raise RunRequestError(f"a tag's name and value must be at most {MAX_TAG_CHARS} characters")
    return checked


def _names(names: list[str], quote: bool = True) -> str:
    """Names for an error message: the first few, each cut short, and how many more."""
    shown = [n if len(n) <= MAX_ECHOED_CHARS else n[:MAX_ECHOED_CHARS] + "..." for n in names]
    words = [repr(n) if quote else n for n in shown[:MAX_ECHOED_NAMES]]
    more = len(names) - MAX_ECHOED_NAMES
    return ", ".join(words) + (f" and {more:,} more" if more > 0 else "")


def check_parameters(assignments: dict[str, Any], params: list[dict[str, Any]]) -> dict[str, Any]:
    """The assignments as typed conf values; unknown names or wrong types raise."""
    if len(assignments) > MAX_ASSIGNMENTS:
        raise RunRequestError(
            f"ParameterAssignments holds {len(assignments):,} names; the limit is "
            f"{MAX_ASSIGNMENTS:,}"
        )
    by_name = {p["name"]: p for p in params}
    unknown = sorted(set(assignments) - set(by_name))
    if unknown:
        raise RunRequestError(
            f"unknown parameter(s) {_names(unknown)}; "
            f"this pipeline takes: {_names(sorted(by_name), quote=False) or 'no parameters'}"
        )
    return {name: _typed(name, value, by_name[name]) for name, value in assignments.items()}


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
        conf[name] = data_path_value(f"DataPathAssignments['{name}']", value)
    return conf


def data_path_value(where: str, value: Any) -> dict[str, str]:
    """``{"DataStoreName", "RelativePath"}`` (or the conf's ``{"datastore", "path"}``) as a
    conf value: a well-formed datastore name, and a relative path that stays inside it."""
    if isinstance(value, dict) and "datastore" in value and "DataStoreName" not in value:
        value = {"DataStoreName": value.get("datastore"), "RelativePath": value.get("path")}
    if not isinstance(value, dict) or not isinstance(value.get("DataStoreName"), str):
        raise RunRequestError(f"{where} needs DataStoreName and RelativePath")
    store = value["DataStoreName"]
    if not DATASTORE_NAME.fullmatch(store):
        raise RunRequestError(
            f"{where}: DataStoreName {_names([store])} is not a datastore name (letters, "
            "digits, '_' and '-', at most 255)"
        )
    path = value.get("RelativePath")
    if path is None:
        path = ""
    if not isinstance(path, str):
        raise RunRequestError(f"{where}: RelativePath must be a string")
    problem = string_problem(path)
    if problem:
        raise RunRequestError(f"{where}: RelativePath {problem}")
    unixy = path.replace("\\", "/")
    if unixy.startswith("/") or (len(unixy) > 1 and unixy[1] == ":"):
        raise RunRequestError(f"{where}: RelativePath '{path[:100]}' must be relative")
    if ".." in unixy.split("/"):
        raise RunRequestError(f"{where}: '{path[:100]}' leaves the datastore")
    return {"datastore": store, "path": path}


def datastores_named(conf: dict[str, Any]) -> set[str]:
    """The datastore names a checked conf's DataPath values point at."""
    return {
        value["datastore"]
        for value in conf.values()
        if isinstance(value, dict) and isinstance(value.get("datastore"), str)
    }


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
        return data_path_value(where, value["DataPath"])
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


def _typed(name: str, value: Any, param: dict[str, Any]) -> Any:
    """``value`` as the parameter's JSON type; numeric and boolean text is accepted because
    the old service's REST clients often sent every value as a string."""
    kind = param["type"]
    convert = _CONVERTERS.get(kind)
    if convert is None:
        default = param.get("default")
        if isinstance(default, dict) and "datastore" in default:
            # A DataPath given as a parameter value gets the same checks as in
            # DataPathAssignments.
            return data_path_value(f"parameter '{name}'", parameter_value(value))
        return parameter_value(value)
    typed = convert(value)
    if typed is None:
        shown = repr(value) if len(repr(value)) <= 200 else repr(value)[:200] + "..."
        raise RunRequestError(
            f"parameter '{name}' must be of type {kind}, got {type(value).__name__} {shown}"
        )
    problem = (
        string_problem(typed)
        if isinstance(typed, str)
        else integer_problem(typed)
        if kind == "integer"
        else None
    )
    if problem:
        raise RunRequestError(f"parameter '{name}' {problem}")
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
