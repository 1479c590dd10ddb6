"""What a step's run read and wrote, told to lineage: the extra of its outlets' asset events
(Airflow), and OpenLineage datasets where that provider is installed.

The assets a DAG declares stand for places known at parse time (``translate/step_assets.py``);
the run's real URIs, known only now, go here.
"""

from __future__ import annotations

from typing import Any

from mlpipelines.records import DataReferenceInput, OutputReference


def event_extra(ref: OutputReference, run_id: str) -> dict[str, Any]:
    """An output's asset event extra: where this run's data are and their fingerprint."""
    extra: dict[str, Any] = {"uri": ref.uri, "datastore": ref.datastore, "path": ref.path}
    if ref.fingerprint:
        extra["fingerprint"] = ref.fingerprint
    extra["run_id"] = run_id
    return extra


def describe_outlet_events(operator: Any, outputs: dict[str, OutputReference], run_id: str) -> None:
    """Put each output's ``event_extra`` on the event Airflow emits for its outlet when the
    task succeeds (the outlets are in the order of the step's outputs)."""
    if not outputs or not operator.outlets:
        return
    from airflow.sdk import get_current_context

    try:
        events = get_current_context()["outlet_events"]
    except RuntimeError:  # called outside a running task (a step run in a test): no events
        return
    for output, asset in zip(operator.step.outputs, operator.outlets, strict=False):
        ref = outputs.get(output.name)
        if ref is not None:
            events[asset].extra.update(event_extra(ref, run_id))


def input_uris(operator: Any) -> list[str]:
    """The URIs of the data the step read in this run: outputs of earlier steps as it pulled
    them, and its fixed places on datastores."""
    uris = [ref.uri for ref in (operator.pulled or {}).values() if ref.uri]
    for spec in operator.step.inputs:
        if isinstance(spec, DataReferenceInput):
            from mlpipelines.storage.datastores import location_of

            path = spec.path_on_datastore.replace("\\", "/").strip("/")
            uris.append(location_of(spec.datastore).uri(path))
    return uris


def openlineage_name(uri: str) -> tuple[str, str]:
    """An OpenLineage dataset's (namespace, name) for a URI, by its naming conventions:
    ``file`` and the path for local files, else ``scheme://authority`` and the path in it."""
    scheme, _, rest = uri.partition("://")
    if scheme == "file":
        return "file", rest
    authority, _, path = rest.partition("/")
    return f"{scheme}://{authority}", path


def operator_lineage(operator: Any) -> Any:
    """The ``OperatorLineage`` of a finished step (needs the OpenLineage provider)."""
    from airflow.providers.openlineage.extractors import OperatorLineage
    from openlineage.client.event_v2 import Dataset

    outputs = [ref.uri for ref in (operator.published or {}).values() if ref.uri]
    return OperatorLineage(
        inputs=[Dataset(*openlineage_name(uri)) for uri in input_uris(operator)],
        outputs=[Dataset(*openlineage_name(uri)) for uri in outputs],
    )
