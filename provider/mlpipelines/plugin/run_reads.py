"""Pipeline runs read from Airflow's database inside the API server (or the scheduler): the
run, its task instances and the XComs the pipeline view and the reuse notes need, as plain
``RunRecord``s. A handful of queries per run, never one per step."""

from __future__ import annotations

import functools
from typing import Any

from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from mlpipelines.plugin.run_summary import RunRecord
from mlpipelines.records.reserved import (
    DECISION_XCOM_KEY,
    METRICS_XCOM_KEY,
    OUTPUT_XCOM_PREFIX,
    REUSE_XCOM_KEY,
)

# The keys of a run's summary; the metric history needs no outputs.
SUMMARY_KEYS = (REUSE_XCOM_KEY, DECISION_XCOM_KEY, METRICS_XCOM_KEY)


def read_run(dag_id: str, run_id: str, session: Session) -> RunRecord | None:
    """One run with its task instances and its steps' XComs (outputs included); None when
    there is no such run."""
    run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    if run is None:
        return None
    record = _record(run, dag_params(run, session))
    record.task_instances = read_task_instances(dag_id, run_id, session)
    record.xcoms = read_xcoms(dag_id, [run_id], session, with_outputs=True).get(run_id, {})
    return record


def read_runs(dag_id: str, limit: int, session: Session) -> list[RunRecord]:
    """The DAG's latest ``limit`` runs, oldest first, with their metrics and reuse XComs
    (no task instances, no outputs): what the metric history needs."""
    runs = list(
        session.scalars(
            select(DagRun)
            .where(DagRun.dag_id == dag_id)
            .order_by(DagRun.run_after.desc(), DagRun.id.desc())
            .limit(limit)
        )
    )
    runs.reverse()
    params = dag_params(runs[-1], session) if runs else {}
    xcoms = read_xcoms(dag_id, [r.run_id for r in runs], session, with_outputs=False)
    records = []
    for run in runs:
        record = _record(run, params)
        record.xcoms = xcoms.get(run.run_id, {})
        records.append(record)
    return records


def read_task_instances(dag_id: str, run_id: str, session: Session) -> list[dict[str, Any]]:
    """The run's task instances (mapped ones too) as plain dicts."""
    rows = session.scalars(
        select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
    )
    return [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": _plain(ti.state),
            "start_date": ti.start_date,
            "end_date": ti.end_date,
            "duration": ti.duration,
            "try_number": ti.try_number,
        }
        for ti in rows
    ]


def read_xcoms(
    dag_id: str, run_ids: list[str], session: Session, with_outputs: bool
) -> dict[str, dict[tuple[str, str], Any]]:
    """The reuse, decision and metrics XComs (and with ``with_outputs`` each output's
    reference) of the runs, by run id, then by (task id, key)."""
    if not run_ids:
        return {}
    wanted: ColumnElement[bool] = XComModel.key.in_(SUMMARY_KEYS)
    if with_outputs:
        wanted = or_(wanted, XComModel.key.startswith(OUTPUT_XCOM_PREFIX, autoescape=True))
    rows = session.execute(
        select(XComModel.run_id, XComModel.task_id, XComModel.key, XComModel.value).where(
            XComModel.dag_id == dag_id,
            XComModel.run_id.in_(run_ids),
            XComModel.map_index == -1,
            wanted,
        )
    )
    found: dict[str, dict[tuple[str, str], Any]] = {}
    for row in rows:
        found.setdefault(row.run_id, {})[(row.task_id, row.key)] = XComModel.deserialize_value(row)
    return found


def dag_params(run: DagRun, session: Session) -> dict[str, Any]:
    """The Param defaults of the DAG version the run ran (empty if Airflow lost it)."""
    try:
        dag = _dag_bag().get_dag_for_run(run, session=session)
    except Exception:  # a DAG that no longer deserializes still has runs worth showing
        return {}
    return dict(dag.params.dump()) if dag is not None else {}


@functools.cache
def _dag_bag() -> Any:
    from airflow.models.dagbag import DBDagBag

    return DBDagBag(load_op_links=False)


def _record(run: DagRun, params: dict[str, Any]) -> RunRecord:
    return RunRecord(
        dag_id=run.dag_id,
        run_id=run.run_id,
        state=_plain(run.state),
        start_date=run.start_date,
        end_date=run.end_date,
        conf=dict(run.conf or {}),
        note=run.note,
        params=params,
    )


def _plain(state: Any) -> str | None:
    """A state enum as its plain string value."""
    return None if state is None else str(getattr(state, "value", state))
