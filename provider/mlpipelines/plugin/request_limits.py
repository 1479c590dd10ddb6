"""Bounds and error shapes for the Azure-ML-style run requests, as ASGI middleware and
exception handlers of the plugin's app: a body over ``MAX_RUN_BODY_BYTES`` is a 413 naming
the limit (read no further), a body that is not JSON a 400 (as the docs say, not FastAPI's
422), and a token Airflow does not accept a 401 with ``WWW-Authenticate`` (not 403)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

MAX_RUN_BODY_BYTES = 1 << 20
# The plugin's upload and control routes bound their bodies themselves (larger).
OWN_LIMITS_MARKER = "/api/v1/"
MAX_ECHO_CHARS = 500
# Airflow's answer to a token it cannot decode (403); RFC 6750 makes that a 401.
INVALID_TOKEN_DETAIL = "Invalid JWT token"


class RunBodyLimit:
    """Refuse a request body over the limit with 413, by its Content-Length or as it streams."""

    def __init__(self, app: Any, limit: int = MAX_RUN_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or OWN_LIMITS_MARKER in scope.get("path", ""):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def bounded_receive() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, watched_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        detail = f"the request body is over {self.limit:,} bytes, the limit for a run request"
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """Raised out of ``receive`` to stop reading a body over the limit."""


def install(app: FastAPI) -> None:
    """Add the body limit and the 400/401 error shapes to ``app``."""
    app.add_middleware(RunBodyLimit)

    @app.exception_handler(RequestValidationError)
    async def _not_json(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(str(error.get("msg", error)) for error in exc.errors()[:5])
        return JSONResponse(
            {"detail": f"the request body is not valid JSON: {problems[:MAX_ECHO_CHARS]}"},
            status_code=400,
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 403 and exc.detail == INVALID_TOKEN_DETAIL:
            return JSONResponse(
                {"detail": "the bearer token is not valid (expired, or not Airflow's)"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return await http_exception_handler(request, exc)  # FastAPI's own, for the rest
