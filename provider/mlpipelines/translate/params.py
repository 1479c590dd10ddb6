"""A pipeline's parameters as the DAG's Params: the trigger form's fields and the REST API's
``conf`` checks.

A parameter with a default is optional in Airflow's form: its JSON-schema type also admits
``null`` (the form marks a field required exactly when its type does not), and the schema
keeps the default (under ``PARAM_DEFAULT_KEY``), where a step finds it when a run was given
``null`` (a field the user cleared). A parameter without a default stays required.
"""

from __future__ import annotations

from collections import defaultdict

from airflow.sdk import Param

from mlpipelines.records import DataPathInput, DatasetInput
from mlpipelines.records.parameter_limits import schema_bounds
from mlpipelines.records.plan import ParamSpec, PipelinePlan
from mlpipelines.records.reserved import PARAM_DEFAULT_KEY


def dag_params(plan: PipelinePlan) -> dict[str, Param]:
    """One Param per planned parameter, described by the pipeline or by the steps using it."""
    users = parameter_users(plan)
    return {p.name: _param(p, users.get(p.name, [])) for p in plan.params}


def _param(spec: ParamSpec, users: list[str]) -> Param:
    description = spec.description or _usage(spec, users)
    if spec.default is None:
        return Param(
            None,
            description=description,
            type=spec.type,
            title=spec.name,
            **schema_bounds(spec.type),
        )
    # No "title": the form shows the name without one, and each key costs every task a copy.
    # The bounds make Airflow's own trigger refuse what the REST run request refuses.
    schema = {
        "type": [spec.type, "null"],
        PARAM_DEFAULT_KEY: spec.default,
        **schema_bounds(spec.type),
    }
    return Param(spec.default, description=description, schema=schema)


def _usage(spec: ParamSpec, users: list[str]) -> str:
    kind = "data path or dataset" if spec.type == "object" else spec.type
    if not users:
        return f"Pipeline parameter ({kind})."
    return f"Pipeline parameter ({kind}), used by step(s): {', '.join(users)}."


def parameter_users(plan: PipelinePlan) -> dict[str, list[str]]:
    """The names of the steps that read each parameter (in arguments, params or as the
    place of a data path or dataset input), in plan order."""
    users: dict[str, list[str]] = defaultdict(list)
    for task in plan.tasks:
        definition = task.definition
        names = {t.ref for t in definition.arguments if t.kind == "parameter"}
        names.update(t.ref for t in definition.params.values() if t.kind == "parameter")
        for spec in definition.inputs:
            if isinstance(spec, (DataPathInput, DatasetInput)) and spec.parameter:
                names.add(spec.parameter)
        for name in sorted(names):
            users[name].append(definition.name)
    return users
