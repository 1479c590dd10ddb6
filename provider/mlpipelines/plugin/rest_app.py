"""Azure-ML-style REST for published pipelines and endpoints, served by Airflow's API server.

A POST with ``{"ExperimentName", "ParameterAssignments", "RunSource", "PipelineVersion"}``
is checked against the pipeline's parameters (unknown names and wrong types: 400, no run),
then created in this API server as Airflow's own ``POST /api/v2/dags/{dag_id}/dagRuns`` creates
it (``plugin/run_creation.py``), after Airflow's auth manager has said this user may run that
DAG.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import Body, FastAPI, HTTPException, Request

from mlpipelines.errors import UserErrorException
from mlpipelines.plugin.admission import ADMISSION
from mlpipelines.plugin.control_routes import router as control_router
from mlpipelines.plugin.known_datastores import datastore_check
from mlpipelines.plugin.pipeline_view_routes import router as view_router
from mlpipelines.plugin.request_limits import install as install_request_limits
from mlpipelines.plugin.run_creation import IDEMPOTENCY_HEADER, create_run, idempotent_run_id
from mlpipelines.plugin.snapshot_routes import router as snapshot_router
from mlpipelines.publishing.experiments import note_experiment
from mlpipelines.publishing.records import RecordStore
from mlpipelines.publishing.routing import (
    DisabledError,
    active_pipeline,
    endpoint_pipeline,
    stored_spec,
)
from mlpipelines.publishing.run_request import parse_run_request

URL_PREFIX = "/mlpipelines"
MAX_DETAIL_CHARS = 2_000

app = FastAPI(
    title="mlpipelines",
    description="Run published pipelines and pipeline endpoints with Azure ML style requests.",
)
install_request_limits(app)
app.include_router(snapshot_router, prefix="/api/v1")

app.include_router(control_router, prefix="/api/v1")
app.include_router(view_router)


@app.get("/pipelines/{pipeline_id}")
def get_pipeline(pipeline_id: str, user: GetUserDep) -> dict[str, Any]:
    """A published pipeline's record (id, name, version, status, dag_id)."""
    return _found(lambda: RecordStore.published().get(pipeline_id))


@app.post("/pipelines/{pipeline_id}")
def run_pipeline(
    pipeline_id: str,
    request: Request,
    user: GetUserDep,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Start a run of a published pipeline; answers ``{"Id": <run id>, ...}``."""
    record = _found(lambda: RecordStore.published().get(pipeline_id))
    return _start(request, user, record, body, for_endpoint=False)


@app.post("/endpoints/Name")
def run_endpoint_by_name(
    request: Request,
    user: GetUserDep,
    name: str,
    pipelineVersion: str | None = None,  # the old service's query parameter name
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """``.../endpoints/Name?name=<name>&pipelineVersion=<v>``: run an endpoint found by name."""
    endpoint = _found(lambda: RecordStore.endpoints().find(name=name))
    return _run_endpoint(request, user, endpoint, body, pipelineVersion)


@app.get("/endpoints/Id/{endpoint_id}")
@app.get("/endpoints/{endpoint_id}")
def get_endpoint(endpoint_id: str, user: GetUserDep) -> dict[str, Any]:
    """A pipeline endpoint's record (versions, default version, status)."""
    return _found(lambda: RecordStore.endpoints().get(endpoint_id))


@app.post("/endpoints/Id/{endpoint_id}/{version}")
def run_endpoint_version(
    endpoint_id: str,
    version: str,
    request: Request,
    user: GetUserDep,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """``<endpoint>/<version>``: run that version of an endpoint."""
    endpoint = _found(lambda: RecordStore.endpoints().get(endpoint_id))
    return _run_endpoint(request, user, endpoint, body, version)


@app.post("/endpoints/Id/{endpoint_id}")
@app.post("/endpoints/{endpoint_id}")
def run_endpoint(
    endpoint_id: str,
    request: Request,
    user: GetUserDep,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Start a run of an endpoint's default version, or of ``PipelineVersion``."""
    endpoint = _found(lambda: RecordStore.endpoints().get(endpoint_id))
    return _run_endpoint(request, user, endpoint, body, None)


def _run_endpoint(
    request: Request, user: Any, endpoint: dict[str, Any], body: Any, url_version: str | None
) -> dict[str, Any]:
    """A version named in the URL and one in the body must agree; either picks the version."""
    body_version = body.get("PipelineVersion") if isinstance(body, dict) else None
    if url_version is not None and body_version is not None and str(body_version) != url_version:
        raise HTTPException(
            status_code=400,
            detail=f"the URL names version '{url_version}' but PipelineVersion is "
            f"'{body_version}'; give one of them",
        )
    version = url_version if url_version is not None else body_version
    record = _refused(lambda: endpoint_pipeline(endpoint, version))
    if url_version is not None and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "PipelineVersion"}
    answer = _start(request, user, record, body, endpoint=endpoint)
    return {**answer, "PipelineEndpointId": endpoint["id"]}


def _start(
    request: Request,
    user: Any,
    record: dict[str, Any],
    body: dict[str, Any] | None,
    endpoint: dict[str, Any] | None = None,
    for_endpoint: bool = True,
) -> dict[str, Any]:
    active = _refused(lambda: active_pipeline(record))
    spec = _refused(lambda: stored_spec(active["dag_id"]))
    run_request = _refused(
        lambda: parse_run_request(body, list(spec["params"]), for_endpoint, datastore_check(spec))
    )
    conf = dict(run_request.conf)
    conf["mlpipelines_published_id"] = active["id"]
    if endpoint is not None:
        conf["mlpipelines_endpoint"] = endpoint["name"]
    run_id = idempotent_run_id(request.headers.get(IDEMPOTENCY_HEADER))
    try:
        with ADMISSION.admitted():
            run = create_run(active["dag_id"], conf, run_request.note, user, run_id)
    except HTTPException as exc:
        if exc.status_code != 409 or run_id is None:
            raise
        run = {"dag_run_id": run_id}  # a retry of a request that made its run already
    if run_request.experiment_name:
        note_experiment(run_request.experiment_name, active["dag_id"])
    return {
        "Id": run["dag_run_id"],
        "DagId": active["dag_id"],
        "PipelineId": active["id"],
        "PipelineVersion": active["version"],
        "Status": "NotStarted",
        "ExperimentName": run_request.experiment_name,
        "RunUrl": f"{_base_url(request)}/dags/{quote(active['dag_id'], safe='')}"
        f"/runs/{quote(run['dag_run_id'], safe='')}",
    }


def _base_url(request: Request) -> str:
    """Airflow's configured ``[api] base_url``, else the scheme and host the caller used.

    The configured URL is where this API server says it can be reached; the caller's host
    may be a name (a proxy's, a tunnel's) that does not resolve from the server itself.
    """
    from airflow.configuration import conf

    configured = conf.get("api", "base_url", fallback=None)
    if configured:
        return configured.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _found(load: Any) -> Any:
    try:
        return load()
    except UserErrorException as exc:
        raise HTTPException(status_code=404, detail=_capped(str(exc))) from None
    except OSError:  # an id no record can have (too long for a file name, say)
        raise HTTPException(status_code=404, detail="no such record") from None


def _capped(message: str) -> str:
    """An error message echoes what the caller sent: at most MAX_DETAIL_CHARS of it."""
    if len(message) <= MAX_DETAIL_CHARS:
        return message
    return message[:MAX_DETAIL_CHARS] + f"... ({len(message) - MAX_DETAIL_CHARS:,} more)"


def _refused(check: Any) -> Any:
    try:
        return check()
    except DisabledError as exc:
        raise HTTPException(status_code=409, detail=_capped(str(exc))) from None
    except UserErrorException as exc:  # RunRequestError among them
        raise HTTPException(status_code=400, detail=_capped(str(exc))) from None
