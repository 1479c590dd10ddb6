"""A real local HTTP server that behaves like a busy Airflow: it answers some calls late
(past the client's timeout) or with 503 before it answers properly, and keeps DAG runs made
by ``POST /api/v2/dags/<id>/dagRuns`` so a repeated trigger is answered 409 as Airflow does."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class Trouble:
    """What the next calls to a path get: ``fail`` answers of ``status``, then ``slow``
    answers that are made (and, for a trigger, take effect) but sent ``delay`` seconds late."""

    fail: int = 0
    status: int = 503
    slow: int = 0
    delay: float = 0.0
    retry_after: int | None = None  # sent as Retry-After with the failing answers


@dataclass
class UnsteadyAirflow:
    """The server's state: the trouble per (method, path), the calls seen, the runs made."""

    trouble: dict[tuple[str, str], Trouble] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_limit: int = 50  # what Airflow answers at most per call
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> UnsteadyAirflow:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name="unsteady", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(
        self, method: str, path: str, body: dict[str, Any], query: dict[str, str] | None = None
    ) -> tuple[int, Any, float, dict[str, str]]:
        """(status, JSON body, seconds to wait before sending it, extra headers)."""
        with self._lock:
            self.calls.append((method, path))
            trouble = self.trouble.get((method, path))
            if trouble is not None and trouble.fail:
                trouble.fail -= 1
                headers = {}
                if trouble.retry_after is not None:
                    headers["Retry-After"] = str(trouble.retry_after)
                return trouble.status, {"detail": "database is locked"}, 0.0, headers
            delay = 0.0
            if trouble is not None and trouble.slow:
                trouble.slow -= 1
                delay = trouble.delay
            status, reply = self._effect(method, path, body, query or {})
            return status, reply, delay, {}

    def _effect(
        self, method: str, path: str, body: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts[:3] == ["api", "v2", "dags"] and parts[4:] == ["dagRuns"]:
            run_id = body.get("dag_run_id") or f"server__{len(self.runs)}"
            if run_id in self.runs:
                return 409, {"detail": f"DAGRun with dag_run_id: '{run_id}' already exists"}
            run = {"dag_id": parts[3], "dag_run_id": run_id, "conf": body.get("conf"),
                   "state": "queued"}  # fmt: skip
            self.runs[run_id] = run
            return 200, run
        if method == "GET" and parts[:3] == ["api", "v2", "dags"] and parts[4:] == ["dagRuns"]:
            # A paged list, as Airflow pages it (limit capped, offset, total_entries).
            ordered = sorted(self.runs.values(), key=lambda r: r["dag_run_id"])
            limit = min(int(query.get("limit", 50)), self.page_limit)
            offset = int(query.get("offset", 0))
            page = ordered[offset : offset + limit]
            return 200, {"dag_runs": page, "total_entries": len(ordered)}
        if method == "GET" and parts[:3] == ["api", "v2", "dags"] and parts[4:5] == ["dagRuns"]:
            run = self.runs.get(parts[5]) if len(parts) == 6 else None
            return (200, run) if run else (404, {"detail": "not found"})
        if method == "GET" and path == "/api/v2/monitor/health":
            return 200, {"metadatabase": {"status": "healthy"}}
        return 404, {"detail": f"no {method} {path}"}


def _handler(api: UnsteadyAirflow) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            path, _, query = self.path.partition("?")
            params = {k: v[0] for k, v in parse_qs(query).items()}
            status, reply, delay, headers = api.answer(method, unquote(path), body, params)
            if delay:
                time.sleep(delay)
            data = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: as with a real server, the work is done

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler
