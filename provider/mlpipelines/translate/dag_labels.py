"""What the Airflow DAG list says of a pipeline DAG: its description and its tags.

The list shows a DAG's description under its id and filters by tags; a pipeline that gave no
description is described by its steps, and its tags name the step kinds and compute targets
it runs on, so "which DAGs run on gpu-cluster" is one click.
"""

from __future__ import annotations

from collections.abc import Iterable

from mlpipelines.records.engines import LOCAL_NAME
from mlpipelines.records.plan import PipelinePlan
from mlpipelines.records.step_kinds import step_kind

TAG = "mlpipelines"
COMPUTE_TAG_PREFIX = "compute:"
DESCRIPTION_LIMIT = 200  # what Airflow's DAG list shows in full
TAG_LIMIT = 100  # Airflow's dag_tag.name column


def dag_description(plan: PipelinePlan) -> str:
    """The pipeline's own description, else one naming its steps (cut to what the list shows)."""
    if plan.description:
        return plan.description[:DESCRIPTION_LIMIT]
    names = [t.definition.name for t in plan.tasks]
    text = f"ML pipeline of {len(names)} step{'' if len(names) == 1 else 's'}: {', '.join(names)}"
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 3].rsplit(", ", 1)[0] + ", ..."
    return text


def dag_tags(plan: PipelinePlan, given: Iterable[str] = ()) -> list[str]:
    """``mlpipelines``, the step kinds (``PythonScriptStep``, ...), ``compute:<target>`` for
    each target other than the worker itself, and the ``given`` tags, sorted."""
    tags = {TAG, *given}
    for task in plan.tasks:
        tags.add(step_kind(task.kind).title)
        target = task.definition.compute_target
        if target and target != LOCAL_NAME:
            tags.add(f"{COMPUTE_TAG_PREFIX}{target}"[:TAG_LIMIT])
    return sorted(tags)
