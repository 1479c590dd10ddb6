"""The control store over REST: what a client with only the Airflow URL and a token submits
and publishes (pipeline specs, records, modules, compute targets) reaches the deployment
here, and is kept on its specs datastore where every Airflow component reads it.

Mounted under ``/mlpipelines/api/v1``. Paths are control-store paths (``specs/x.json``,
``modules/m/1.json``: ``storage.control_store.checked_path``); a bad one is a 422, a missing
document a 404, a body over the size limit a 413, a second create of a document a 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Body, HTTPException, Request, Response

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.control_store import MAX_DOCUMENT_BYTES, checked_path, control_store

router = APIRouter()


@router.get("/control/documents/{path:path}")
def read_document(path: str, user: GetUserDep) -> Any:
    """One document."""
    relative = _checked(path)
    try:
        return control_store().read(relative)
    except FileNotFoundError:
        raise HTTPException(status_code=404, detail=f"no document '{relative}'") from None


@router.put("/control/documents/{path:path}")
def write_document(
    path: str, request: Request, user: GetUserDep, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Replace a document whole (readers see the old one or the new one)."""
    relative = _checked(path, request, body)
    control_store().write(relative, body)
    return {"path": relative, "written": True}


@router.post("/control/documents/{path:path}", status_code=201)
def create_document(
    path: str, request: Request, user: GetUserDep, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Create a document once; a 409 when it exists (versions are never rewritten)."""
    relative = _checked(path, request, body)
    if not control_store().create(relative, body):
        raise HTTPException(status_code=409, detail=f"'{relative}' exists already")
    return {"path": relative, "created": True}


@router.delete("/control/documents/{path:path}", status_code=204)
def delete_document(path: str, user: GetUserDep) -> Response:
    """Remove a document if it is there."""
    control_store().delete(_checked(path))
    return Response(status_code=204)


@router.get("/control/folders/{path:path}")
def list_folder(path: str, user: GetUserDep, documents: bool = False) -> dict[str, Any]:
    """The names directly under a folder, and with ``documents=true`` its documents too."""
    try:
        relative = checked_path(path, document=False)
    except UserErrorException as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    store = control_store()
    answer: dict[str, Any] = {"path": relative, "names": store.children(relative)}
    if documents:
        answer["documents"] = store.read_all(relative)
    return answer


def _checked(path: str, request: Request | None = None, body: Any = None) -> str:
    """The checked document path; for a write also a body that is a JSON object within the
    size limit."""
    try:
        relative = checked_path(path)
    except UserErrorException as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if request is not None:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_DOCUMENT_BYTES:
            raise HTTPException(
                status_code=413,
                detail=f"a control-store document holds at most {MAX_DOCUMENT_BYTES} bytes; "
                f"'{relative}' has {length}",
            )
        if not isinstance(body, dict):
            raise HTTPException(
                status_code=422, detail=f"'{relative}' must be a JSON object, not {body!r:.40}"
            )
    return relative
