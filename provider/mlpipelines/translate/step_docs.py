"""A step's definition as Markdown, shown as the task's documentation in the Airflow UI."""

from __future__ import annotations

from typing import Any

_KIND_TITLES = {
    "python_script": "PythonScriptStep",
    "analytics": "AdlaStep",
    "databricks": "DatabricksStep",
    "data_transfer": "DataTransferStep",
}


def _show_token(token: dict[str, Any]) -> str:
    if "parameter" in token:
        return f"`<parameter {token['parameter']}>`"
    if "input" in token:
        return f"`<input {token['input']}>`"
    if "output" in token:
        return f"`<output {token['output']}>`"
    return f"`{token['value']}`"


def step_doc_md(definition: dict[str, Any]) -> str:
    """Markdown for one step: what it runs, with which data and parameters."""
    title = _KIND_TITLES.get(definition["kind"], definition["kind"])
    lines = [f"### {title} `{definition['name']}`", ""]
    if "script_name" in definition:
        lines.append(
            f"- **script**: `{definition['script_name']}` in `{definition['source_directory']}`"
        )
    if definition["arguments"]:
        lines.append(
            "- **arguments**: " + " ".join(_show_token(t) for t in definition["arguments"])
        )
    for key, token in definition["params"].items():
        lines.append(f"- **param** `{key}` = {_show_token(token)}")
    for spec in definition["inputs"]:
        if spec["kind"] == "data_reference":
            source = f"`{spec['datastore']['name']}/{spec['path_on_datastore']}`"
        elif spec["kind"] == "data_path":
            source = f"the place named by parameter `{spec['parameter']}`"
        elif spec["kind"] == "dataset":
            source = _show_dataset(spec["consumption"]["dataset"])
        else:
            source = f"`{spec['data']}` from step `{spec['producer']}`"
        lines.append(f"- **input** `{spec['name']}` ({spec['mode']}): {source}")
    for spec in definition["outputs"]:
        where = spec["datastore"]["name"]
        if spec.get("kind") == "data_reference":
            where = f"{where}/{spec['path_on_datastore']}` (uploaded after success) `"
        lines.append(f"- **output** `{spec['name']}` on `{where}`")
    lines.append(
        f"- **compute target**: `{definition['compute_target']}`; "
        f"**allow_reuse**: {definition['allow_reuse']}"
    )
    return "\n".join(lines)


def _show_dataset(dataset: dict[str, Any]) -> str:
    """A dataset as its registered name, else its sources."""
    registered = dataset.get("registration")
    if registered:
        return f"dataset `{registered['name']}` v{registered['version']}"
    sources = ", ".join(
        s.get("url") or f"{s['datastore']}/{s['path']}" for s in dataset.get("sources", [])
    )
    return f"{dataset['kind']} dataset over `{sources}`"
