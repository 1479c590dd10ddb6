"""The pipeline view: pages the Airflow UI shows in a run's, a step's and a DAG's tab, and
the JSON they draw from (a run's steps, parameters, git facts and outputs; a pipeline's
metrics across runs), plus each output's files to download.

Mounted under ``/mlpipelines/view``. Ids travel as query parameters (run ids hold ``:``,
``+`` and may hold ``/``). Data routes check Airflow's DAG permissions for the DAG named;
the pages themselves hold no data. Assets are files of this package: no CDN, no build.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse, StreamingResponse

from mlpipelines.plugin.metric_history import metric_history
from mlpipelines.plugin.output_files import list_output_files, open_output_file
from mlpipelines.plugin.run_reads import read_run, read_runs
from mlpipelines.plugin.run_summary import output_references, run_summary
from mlpipelines.plugin.view_urls import VIEW_PREFIX, pipeline_view_url, ui_base_path

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"run": "run.html", "step": "step.html", "pipeline": "pipeline.html"}
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
MAX_RUNS = 200

router = APIRouter(prefix=VIEW_PREFIX)
can_read_runs = Depends(requires_access_dag("GET", DagAccessEntity.RUN))
can_read_xcoms = Depends(requires_access_dag("GET", DagAccessEntity.XCOM))


@router.get("/static/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """The view's script, style sheet and icon (no data in them, no login needed)."""
    path = STATIC / name
    if "/" in name or path.suffix not in ASSET_TYPES or not path.is_file():
        raise HTTPException(status_code=404, detail=f"no asset '{name}'")
    return FileResponse(path, media_type=ASSET_TYPES[path.suffix])


@router.get("/{page}", include_in_schema=False)
def page(page: str, user: GetUserDep) -> FileResponse:
    """A page (run, step, pipeline); its script reads the ids from the query string."""
    if page not in PAGES:
        raise HTTPException(status_code=404, detail=f"no page '{page}'")
    return FileResponse(STATIC / PAGES[page], media_type="text/html")


@router.get("/api/run", dependencies=[can_read_runs])
def run_data(dag_id: str, run_id: str, session: SessionDep) -> dict[str, Any]:
    """A run's status, parameters, git facts and steps (status, reused from, duration,
    metrics, outputs, why each ran or was reused)."""
    record = read_run(dag_id, run_id, session)
    if record is None:
        raise HTTPException(status_code=404, detail=f"DAG '{dag_id}' has no run '{run_id}'")
    base = ui_base_path()
    summary = run_summary(record, base)
    summary["pipeline_url"] = pipeline_view_url(base, dag_id)
    summary["is_pipeline"] = any(s["decision"] for s in summary["steps"]) or any(
        s["outputs"] or s["metrics"] for s in summary["steps"]
    )
    return summary


@router.get("/api/pipeline", dependencies=[can_read_runs])
def pipeline_data(
    dag_id: str, session: SessionDep, limit: int = Query(50, ge=1, le=MAX_RUNS)
) -> dict[str, Any]:
    """The pipeline's latest runs (oldest first), each with its numeric metrics by
    ``step/metric`` and its parameters."""
    return metric_history(dag_id, read_runs(dag_id, limit, session))


@router.get("/api/output/files", dependencies=[can_read_xcoms])
def output_files(
    dag_id: str, run_id: str, task_id: str, output: str, session: SessionDep
) -> dict[str, Any]:
    """The files of one output of a step (of a reused step: those of the run it reused)."""
    ref = _output_ref(dag_id, run_id, task_id, output, session)
    return list_output_files(ref)


@router.get("/api/output/file", dependencies=[can_read_xcoms])
def output_file(
    dag_id: str, run_id: str, task_id: str, output: str, path: str, session: SessionDep
) -> StreamingResponse:
    """One file of a step's output, as a download (``path`` relative to the output)."""
    ref = _output_ref(dag_id, run_id, task_id, output, session)
    relative = posixpath.normpath(path) if path else "."
    if relative.startswith(("../", "/")) or relative == "..":
        raise HTTPException(status_code=400, detail=f"'{path}' is not inside the output")
    try:
        chunks, size = open_output_file(ref, "" if relative == "." else relative)
    except FileNotFoundError:
        raise HTTPException(
            status_code=404, detail=f"output {output} has no file '{path}'"
        ) from None
    name = posixpath.basename(relative if relative != "." else ref["path"]) or output
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{_header_safe(name)}"}
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(
        _closing(chunks), media_type="application/octet-stream", headers=headers
    )


def _output_ref(
    dag_id: str, run_id: str, task_id: str, output: str, session: Any
) -> dict[str, Any]:
    """The reference of a step's output as the run's summary has it (the reused run's for a
    reused step); 404 when the run, the step or the output is unknown."""
    record = read_run(dag_id, run_id, session)
    if record is None:
        raise HTTPException(status_code=404, detail=f"DAG '{dag_id}' has no run '{run_id}'")
    refs = output_references(record, task_id)
    if output not in refs:
        raise HTTPException(
            status_code=404, detail=f"step '{task_id}' of run '{run_id}' has no output '{output}'"
        )
    return dict(refs[output])


def _closing(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _header_safe(name: str) -> str:
    return quote(name, safe="")
