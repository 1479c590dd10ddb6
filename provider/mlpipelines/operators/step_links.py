"""The extra links of a step task in the Airflow UI: where its outputs are, and its artifacts
(stdout, stderr, metrics.json) for this run.

Airflow asks each link for its URL once, in the worker, as the task ends, and keeps it in
XCom (``_link_<class>``) for the UI. The outputs' URIs come from the ``output_<name>`` XCom
the step pushed (held by the operator in the process that pushed them, so no round trip).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

from mlpipelines.records import OutputReference
from mlpipelines.records.reserved import ARTIFACTS_FOLDER, output_xcom_key

if TYPE_CHECKING:
    from airflow.sdk.types import TaskInstanceKey


class StepOutputsLink(BaseOperatorLink):
    """This run's outputs of the step: the one output's URI, or the folder holding them."""

    name = "Outputs"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        published: dict[str, OutputReference] | None = getattr(operator, "published", None)
        if published is None:
            published = _pushed_outputs(operator, ti_key)
        return outputs_url([ref.uri for ref in published.values() if ref.uri])


class StepArtifactsLink(BaseOperatorLink):
    """The folder of the step's logs and metrics for this run on the default datastore
    (none for a reused step: it ran in another run)."""

    name = "Artifacts"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        if getattr(operator, "reused_run_id", None) is not None:
            return ""
        from mlpipelines._naming import path_safe
        from mlpipelines.storage.datastores import location_of

        relative = f"{ARTIFACTS_FOLDER}/{ti_key.dag_id}/{path_safe(ti_key.run_id)}/{ti_key.task_id}"
        return location_of(operator.step.default_datastore).uri(relative)


def outputs_url(uris: list[str]) -> str:
    """One URI for a step's outputs: the only one, else the deepest folder all share (a
    step's PipelineData outputs share ``pipelinedata/<dag>/<run>/<task>``); empty if none."""
    if len(uris) <= 1:
        return uris[0] if uris else ""
    scheme = uris[0].partition("://")[0]
    if any(uri.partition("://")[0] != scheme for uri in uris):
        return uris[0]
    try:
        common = posixpath.commonpath([uri.partition("://")[2] for uri in uris])
    except ValueError:  # absolute and relative paths mixed
        return uris[0]
    return f"{scheme}://{common}" if common.strip("/") else uris[0]


def _pushed_outputs(operator: Any, ti_key: TaskInstanceKey) -> dict[str, OutputReference]:
    """The outputs' references as the step pushed them to XCom."""
    from airflow.sdk.execution_time.xcom import XCom

    step = getattr(operator, "step", None)
    found = {}
    for output in step.outputs if step is not None else ():
        value = XCom.get_value(key=output_xcom_key(output.name), ti_key=ti_key)
        if value:
            found[output.name] = OutputReference.from_json(value)
    return found
