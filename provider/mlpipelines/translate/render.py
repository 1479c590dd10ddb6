"""Render: a PipelinePlan becomes operators in a DAG or a TaskGroup. The only place that
builds DAGs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, TaskGroup

from mlpipelines.records import StepDefinition
from mlpipelines.records.parallel_run import PARALLEL_RUN_KIND
from mlpipelines.records.plan import PipelinePlan, TaskSpec
from mlpipelines.records.reserved import REUSE_TASK_ID
from mlpipelines.records.step_kinds import step_kind
from mlpipelines.sensors.reuse import ReuseSensor
from mlpipelines.translate.dag_labels import dag_description, dag_tags
from mlpipelines.translate.parallel_run_group import render_parallel_run
from mlpipelines.translate.params import dag_params
from mlpipelines.translate.step_assets import StepAssets
from mlpipelines.translate.wiring import set_upstream

STEP_TRIGGER_RULE = "none_failed"
# A step task retries what is not the step's own failure (a lost worker, an unreachable
# datastore): its reuse marker makes a retry safe, and the script still runs at most once per
# key. A DAG whose default_args set retries decides for itself (script failures included).
INFRASTRUCTURE_RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=15)}


def render_dag(plan: PipelinePlan, dag_id: str, **dag_kwargs: Any) -> DAG:
    """A DAG holding one task per planned step; the pipeline's parameters become its Params,
    its description and what it runs on its description and tags."""
    params = {**dag_params(plan), **(dag_kwargs.pop("params", None) or {})}
    tags = dag_tags(plan, dag_kwargs.pop("tags", None) or [])
    dag_kwargs.setdefault("schedule", None)
    if not dag_kwargs.get("description"):
        dag_kwargs["description"] = dag_description(plan)
    with DAG(dag_id, params=params, tags=tags, **dag_kwargs) as dag:
        _render_tasks(plan, dag_id, qualify=None)
    return dag


def render_task_group(
    plan: PipelinePlan, group_id: str, dag: DAG | None = None, **group_kwargs: Any
) -> TaskGroup:
    """The planned steps inside a TaskGroup of the DAG being defined, ending in one join task
    so a task after the group sees success even when steps inside were skipped."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    dag = dag or DagContext.get_current()
    if dag is None:
        raise ValueError(
            f"to_task_group('{group_id}') needs a DAG: call it inside `with DAG(...):`"
        )
    for name, param in dag_params(plan).items():
        if name not in dag.params:
            dag.params[name] = param
    with TaskGroup(group_id, dag=dag, **group_kwargs) as group:
        tasks = _render_tasks(plan, dag.dag_id, qualify=group.child_id)
        join = EmptyOperator(
            task_id="done",
            trigger_rule=STEP_TRIGGER_RULE,
            doc_md="Joins the pipeline's steps; the group's only leaf.",
        )
        leaves = [t for t in tasks.values() if not t.downstream_task_ids]
        for leaf in leaves:
            leaf >> join
    return group


def _qualified(spec: TaskSpec, qualify: Callable[[str], str] | None) -> StepDefinition:
    """The step's definition with the task ids it names as they are inside a TaskGroup."""
    return spec.definition.qualified(qualify) if qualify else spec.definition


def _render_tasks(
    plan: PipelinePlan, dag_id: str, qualify: Callable[[str], str] | None
) -> dict[str, Any]:
    """Operators for the plan's tasks, wired, after a reuse sensor where steps may be reused;
    ``qualify`` maps a planned task id to the id it gets inside a TaskGroup, so steps pull
    their inputs from the right task. Each step's datastore data are its inlets and outlets."""
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    definitions = {spec.task_id: _qualified(spec, qualify) for spec in plan.tasks}
    assets = StepAssets(dag_id, {d.task_id: d for d in definitions.values()})
    dag = DagContext.get_current()
    retries = (
        {} if "retries" in (getattr(dag, "default_args", None) or {}) else INFRASTRUCTURE_RETRIES
    )
    sensor = None
    if plan.reuse:
        sensor = ReuseSensor(
            task_id=REUSE_TASK_ID,
            steps=list(definitions.values()),
            doc_md="Skips every step whose reuse key has a usable manifest.",
        )
    reuse_task_id = sensor.task_id if sensor is not None else None
    tasks: dict[str, Any] = {}
    firsts: dict[str, Any] = {}  # where a step's upstream attaches (its own task, mostly)
    later: list[TaskSpec] = []
    for spec in plan.tasks:
        pool = spec.definition.pool
        definition = definitions[spec.task_id]
        if spec.kind == PARALLEL_RUN_KIND:
            first, tasks[spec.task_id] = render_parallel_run(
                definition,
                reuse_task_id,
                spec.doc_md,
                assets.inlets(definition),
                assets.outlets(definition),
                trigger_rule=STEP_TRIGGER_RULE,
                **retries,
                **({"pool": pool} if pool else {}),
            )
        else:
            operator: Any = step_kind(spec.kind).operator_class()  # a StepOperator subclass
            first = tasks[spec.task_id] = operator.for_step(
                task_id=spec.task_id,
                step=definition,
                reuse_task_id=reuse_task_id,
                doc_md=spec.doc_md,
                trigger_rule=STEP_TRIGGER_RULE,
                **retries,
                **({"pool": pool} if pool else {}),
            )
            # Added after construction: as keyword arguments they cost every task ~7 us
            # more (each __init__ of the class hierarchy handles them).
            first.add_inlets(assets.inlets(definition))
            first.add_outlets(assets.outlets(definition))
        task = firsts[spec.task_id] = first
        # Wired as soon as each task exists (see translate.wiring for why not
        # task.set_upstream). Plans list producers before consumers; any other order waits.
        upstream = [tasks[u] for u in spec.upstream if u in tasks]
        if len(upstream) < len(spec.upstream):
            later.append(spec)
        elif upstream:
            set_upstream(task, upstream)
        elif sensor is not None:
            set_upstream(task, sensor)
    for spec in later:
        set_upstream(firsts[spec.task_id], [tasks[u] for u in spec.upstream])
    if sensor is not None:
        tasks[REUSE_TASK_ID] = sensor
    return tasks
