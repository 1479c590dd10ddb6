"""A step's definition as Markdown, shown as the task's documentation in the Airflow UI."""

from __future__ import annotations

from typing import Any

from mlpipelines.records import (
    ArgumentToken,
    DataPathInput,
    DataReferenceInput,
    DataReferenceOutput,
    DatasetInput,
    PipelineDataInput,
    StepDefinition,
    StepInput,
)
from mlpipelines.records.step_kinds import step_kind


def _show_token(token: ArgumentToken) -> str:
    return f"`{token.describe()}`"


def step_doc_md(definition: StepDefinition) -> str:
    """Markdown for one step: what it runs, with which data and parameters."""
    title = step_kind(definition.kind).title
    lines = [f"### {title} `{definition.name}`", ""]
    if definition.script_name is not None:
        where = definition.source_directory
        if where is None and definition.source_ref is not None:  # a module version's snapshot
            where = f"{definition.source_ref.store.name}/{definition.source_ref.path}"
        lines.append(f"- **script**: `{definition.script_name}` in `{where}`")
    if definition.arguments:
        lines.append("- **arguments**: " + " ".join(_show_token(t) for t in definition.arguments))
    for key, token in definition.params.items():
        lines.append(f"- **param** `{key}` = {_show_token(token)}")
    for spec in definition.inputs:
        lines.append(f"- **input** `{spec.name}` ({spec.mode}): {_input_source(spec)}")
    for output in definition.outputs:
        where = output.datastore.name
        if isinstance(output, DataReferenceOutput):
            where = f"{where}/{output.path_on_datastore}` (uploaded after success) `"
        lines.append(f"- **output** `{output.name}` on `{where}`")
    lines.append(
        f"- **compute target**: `{definition.compute_target}`; "
        f"**allow_reuse**: {definition.allow_reuse}"
    )
    return "\n".join(lines)


def _input_source(spec: StepInput) -> str:
    if isinstance(spec, DataReferenceInput):
        return f"`{spec.datastore.name}/{spec.path_on_datastore}`"
    if isinstance(spec, DataPathInput):
        return f"the place named by parameter `{spec.parameter}`"
    if isinstance(spec, DatasetInput):
        return _show_dataset(spec.dataset)
    assert isinstance(spec, PipelineDataInput)
    return f"`{spec.data}` from step `{spec.producer}`"


def _show_dataset(dataset: dict[str, Any]) -> str:
    """A dataset as its registered name, else its sources."""
    registered = dataset.get("registration")
    if registered:
        return f"dataset `{registered['name']}` v{registered['version']}"
    sources = ", ".join(
        s.get("url") or f"{s['datastore']}/{s['path']}" for s in dataset.get("sources", [])
    )
    return f"{dataset['kind']} dataset over `{sources}`"
