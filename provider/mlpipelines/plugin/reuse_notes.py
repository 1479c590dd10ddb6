"""An Airflow listener that notes each reused step when its pipeline run ends: the reused
task instance gets a note naming the run it reused (a link), its metrics and its outputs.

Why a note, written here: a step the reuse sensor skipped never runs, so it has no log
("Task was skipped - no logs available") and no task of its own could say anything. Tasks
cannot write notes (the Task SDK has no call for it); the scheduler, which ends the run,
has the database. One query finds a run's reuse records, one more its reused task
instances' notes; a run with no reused step costs the first only.

The notes are written in a session of their own right after the transaction that ended the
run commits: the scheduler forbids any commit of its own session (even a savepoint's:
"UNEXPECTED COMMIT - THIS WILL BREAK HA LOCKS!"), and a failure here must never undo the
run's state change. After that commit SQLite's single writer lock is free again.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.listeners import hookimpl
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from mlpipelines.plugin.reuse_note import reused_note
from mlpipelines.plugin.run_reads import read_xcoms
from mlpipelines.plugin.run_summary import RunRecord, reused_steps
from mlpipelines.plugin.view_urls import run_view_url, ui_base_path
from mlpipelines.records.reserved import DECISION_XCOM_KEY, REUSE_XCOM_KEY

log = logging.getLogger(__name__)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _note_after_commit(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _note_after_commit(dag_run)


def _note_after_commit(dag_run: Any) -> None:
    """Note the run's reused steps once the transaction ending the run has committed (at
    once where the run belongs to no session)."""
    dag_id, run_id = dag_run.dag_id, dag_run.run_id
    session = object_session(dag_run)
    if session is None:
        _note_safely(dag_id, run_id)
        return
    event.listen(session, "after_commit", lambda _: _note_safely(dag_id, run_id), once=True)


def _note_safely(dag_id: str, run_id: str) -> None:
    from airflow.utils.session import create_session

    try:
        # Not the scoped session: in the scheduler that is the very session now committing.
        with create_session(scoped=False) as session:
            note_reused_steps(dag_id, run_id, session)
    except Exception:  # a note is worth less than the scheduler's loop
        log.exception("mlpipelines: could not note the reused steps of %s", run_id)


def note_reused_steps(dag_id: str, run_id: str, session: Session) -> int:
    """Give every reused step of the run that has no note yet its reuse note; returns how
    many notes were written. A user's own note is never replaced."""
    from airflow.models.taskinstance import TaskInstance, TaskInstanceNote

    xcoms = read_xcoms(dag_id, [run_id], session, with_outputs=True).get(run_id, {})
    if not any(key in (REUSE_XCOM_KEY, DECISION_XCOM_KEY) for _, key in xcoms):
        return 0
    reused = reused_steps(RunRecord(dag_id, run_id, xcoms=xcoms))
    if not reused:
        return 0
    rows = session.execute(
        select(TaskInstance.id, TaskInstance.task_id, TaskInstanceNote.ti_id)
        .outerjoin(TaskInstanceNote, TaskInstanceNote.ti_id == TaskInstance.id)
        .where(
            TaskInstance.dag_id == dag_id,
            TaskInstance.run_id == run_id,
            TaskInstance.map_index == -1,
            TaskInstance.task_id.in_(list(reused)),
        )
    ).all()
    base = ui_base_path()
    view = run_view_url(base, dag_id, run_id)
    written = 0
    for ti_id, task_id, noted in rows:
        if noted is not None:
            continue
        note = TaskInstanceNote(content=reused_note(reused[task_id], base, view))
        note.ti_id = ti_id
        session.add(note)
        written += 1
    session.flush()
    return written
