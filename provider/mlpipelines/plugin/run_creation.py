"""Create a DAG run from inside the API server, as Airflow's own ``POST .../dagRuns`` does,
with the same authorization check and the same parameter validation, but without an HTTP call
back into the server: under a burst of requests a self-call waits for a worker thread that
the waiting calls themselves hold."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import HTTPException

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 256


def idempotent_run_id(key: str | None) -> str | None:
    """The run id a request with this ``Idempotency-Key`` header makes (None without one):
    a client that retries a request whose answer it lost gets the same run, never a second.
    The key is hashed, so any printable text of up to 256 characters works."""
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise HTTPException(
            status_code=400,
            detail=f"{IDEMPOTENCY_HEADER} must be 1-{MAX_KEY_LENGTH} printable characters",
        )
    return f"rest__{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def create_run(
    dag_id: str, conf: dict[str, Any], note: str | None, user: Any, run_id: str | None = None
) -> dict[str, Any]:
    """A new manual run of ``dag_id``: ``{"dag_run_id", "dag_id", "state"}``; 403 when the
    caller may not run that DAG, 404/400 as Airflow answers them, 409 for a taken run id."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import (
        DagAccessEntity,
        DagDetails,
    )
    from airflow.api_fastapi.common.dagbag import get_latest_version_of_dag
    from airflow.api_fastapi.core_api.datamodels.dag_run import TriggerDAGRunPostBody
    from airflow.exceptions import ParamValidationError
    from airflow.models import DagModel, DagRun
    from airflow.models.dagbag import DBDagBag
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select

    allowed = get_auth_manager().is_authorized_dag(
        method="POST", access_entity=DagAccessEntity.RUN, details=DagDetails(id=dag_id), user=user
    )
    if not allowed:
        raise HTTPException(status_code=403, detail=f"you may not run the DAG '{dag_id}'")
    with create_session() as session:
        model = session.scalar(
            select(DagModel).where(~DagModel.is_stale, DagModel.dag_id == dag_id).limit(1)
        )
        if model is None:
            raise HTTPException(status_code=404, detail=f"Dag with dag_id: '{dag_id}' not found")
        if model.has_import_errors:
            raise HTTPException(
                status_code=400, detail=f"Dag '{dag_id}' has import errors and cannot run"
            )
        if run_id is not None and session.scalar(
            select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id).limit(1)
        ):
            raise HTTPException(status_code=409, detail=f"run '{run_id}' of '{dag_id}' exists")
        dag = get_latest_version_of_dag(DBDagBag(load_op_links=False), dag_id, session)
        body = TriggerDAGRunPostBody(dag_run_id=run_id, logical_date=None, conf=conf, note=note)
        from sqlalchemy.exc import IntegrityError

        try:
            params = body.validate_context(dag)
            run = dag.create_dagrun(
                run_id=params["run_id"],
                logical_date=params["logical_date"],
                data_interval=params["data_interval"],
                run_after=params["run_after"],
                conf=params["conf"],
                run_type=DagRunType.MANUAL,
                triggered_by=DagRunTriggeredByType.REST_API,
                triggering_user_name=user.get_name(),
                state=DagRunState.QUEUED,
                partition_key=params["partition_key"],
                partition_date=params["partition_date"],
                session=session,
            )
        except (ParamValidationError, ValueError) as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        except IntegrityError:  # the same run id created at the same moment by a twin request
            session.rollback()
            raise HTTPException(
                status_code=409, detail=f"run '{run_id}' of '{dag_id}' exists"
            ) from None
        if note:
            run.note = (note, user.get_id())
        answer = {"dag_run_id": run.run_id, "dag_id": dag_id, "state": str(run.state)}
    return answer
