"""A local stand-in for the Databricks Jobs API, as the provider's ``DatabricksHook`` calls it.

Serves ``runs/submit``, ``runs/get``, ``runs/get-output`` and ``runs/cancel`` under both
``/api/2.2/jobs`` and ``/api/2.1/jobs``, checks the Bearer token, records what was submitted,
and plays a scripted outcome per run name (else the default one). Also the DBFS API 2.0
(``put``, ``create``/``add-block``/``close``, ``get-status``) over files kept in memory, with
DBFS's 1 MB limit per ``put`` and per block. And a SQL warehouse's Statement Execution API
(``sql/statements``), played by ``WarehouseStandIn`` on DuckDB. A submit whose tasks'
``libraries`` are not shaped as the public Jobs API 2.1/2.2 says is refused with 400.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from support.databricks_sql_warehouse import WarehouseStandIn

PREFIXES = ("/api/2.2/jobs/", "/api/2.1/jobs/", "/api/2.0/")
DBFS_BLOCK_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """How a run goes: ``polls`` looks at it while it runs, then ``result_state`` (with
    ``error`` from get-output when FAILED); ``never_ends`` runs until cancelled."""

    polls: int = 1
    result_state: str = "SUCCESS"
    error: str | None = None
    state_message: str = ""
    never_ends: bool = False


@dataclass
class FakeRun:
    run_id: int
    task_run_id: int
    body: dict[str, Any]
    outcome: Outcome
    polls: int = 0
    cancelled: bool = False

    def state(self) -> dict[str, Any]:
        if self.cancelled:
            return {
                "life_cycle_state": "TERMINATED",
                "result_state": "CANCELED",
                "state_message": "Run cancelled.",
            }
        if self.outcome.never_ends or self.polls <= self.outcome.polls:
            life = "PENDING" if self.polls <= 1 and not self.outcome.never_ends else "RUNNING"
            return {"life_cycle_state": life, "state_message": ""}
        return {
            "life_cycle_state": "TERMINATED",
            "result_state": self.outcome.result_state,
            "state_message": self.outcome.state_message,
        }


@dataclass
class JobsApiStandIn:
    """The server's state; tests script outcomes and read what was submitted and cancelled."""

    token: str = "dapi-test-token"
    default: Outcome = field(default_factory=Outcome)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    runs: dict[int, FakeRun] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    get_bodies: list[str] = field(default_factory=list)
    dbfs: dict[str, bytes] = field(default_factory=dict)
    warehouse: WarehouseStandIn = field(default_factory=WarehouseStandIn)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(101))
    _handles: dict[int, tuple[str, bytearray]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def submitted(self) -> list[dict[str, Any]]:
        return [run.body for run in self.runs.values()]

    @property
    def cancelled(self) -> list[int]:
        return [run.run_id for run in self.runs.values() if run.cancelled]

    def script(self, run_name: str, outcome: Outcome) -> None:
        """Runs submitted with this ``run_name`` go as ``outcome``."""
        self.outcomes[run_name] = outcome

    def reset(self) -> None:
        with self._lock:
            self.default = Outcome()
            self.outcomes.clear()
            self.runs.clear()
            self.calls.clear()
            self.get_bodies.clear()
            self.dbfs.clear()
            self._handles.clear()
            self.warehouse.reset()

    def start(self) -> JobsApiStandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name="jobs-api", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, method: str, endpoint: str, body: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            self.calls.append((method, endpoint))
            if endpoint.startswith("dbfs/"):
                return self._dbfs(method, endpoint, body)
            if endpoint.startswith("sql/statements"):
                return self.warehouse.handle(method, endpoint, body)
            if (method, endpoint) == ("POST", "runs/submit"):
                refused = libraries_problem(body)
                if refused:
                    return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": refused}
                return 200, {"run_id": self._submit(body)}
            run = self._run(body)
            if run is None:
                return 400, {
                    "error_code": "INVALID_PARAMETER_VALUE",
                    "message": f"Run {body.get('run_id')} does not exist.",
                }
            if (method, endpoint) == ("GET", "runs/get"):
                run.polls += 1
                return 200, self._describe(run)
            if (method, endpoint) == ("GET", "runs/get-output"):
                output: dict[str, Any] = {"metadata": self._describe(run)}
                if run.outcome.error and not run.cancelled:
                    output["error"] = run.outcome.error
                return 200, output
            if (method, endpoint) == ("POST", "runs/cancel"):
                run.cancelled = True
                return 200, {}
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {method} {endpoint}"}

    def _dbfs(self, method: str, endpoint: str, body: dict[str, Any]) -> tuple[int, Any]:
        path = str(body.get("path", "")).removeprefix("dbfs:")
        on_path = {
            ("GET", "dbfs/get-status"): self._dbfs_status,
            ("POST", "dbfs/put"): self._dbfs_put,
            ("POST", "dbfs/create"): self._dbfs_create,
        }.get((method, endpoint))
        if on_path is not None:
            return on_path(path, body)
        # Every other DBFS call writes to a stream opened by dbfs/create.
        stream = self._handles.get(int(body.get("handle", -1)))
        if stream is None:
            return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "no such handle"}
        if (method, endpoint) == ("POST", "dbfs/add-block"):
            return self._dbfs_add_block(stream, body)
        if (method, endpoint) == ("POST", "dbfs/close"):
            self._handles.pop(int(body["handle"]))
            self.dbfs[stream[0]] = bytes(stream[1])
            return 200, {}
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {method} {endpoint}"}

    def _dbfs_status(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path in self.dbfs:
            return 200, {"path": path, "is_dir": False, "file_size": len(self.dbfs[path])}
        if any(name.startswith(path.rstrip("/") + "/") for name in self.dbfs):
            return 200, {"path": path, "is_dir": True, "file_size": 0}
        return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"No file: {path}"}

    def _dbfs_put(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        content = base64.b64decode(body.get("contents", ""))
        if len(content) > DBFS_BLOCK_LIMIT:
            return 400, {"error_code": "MAX_BLOCK_SIZE_EXCEEDED", "message": "over 1 MB"}
        if path in self.dbfs and not body.get("overwrite"):
            return 400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": path}
        self.dbfs[path] = content
        return 200, {}

    def _dbfs_create(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path in self.dbfs and not body.get("overwrite"):
            return 400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": path}
        handle = next(self._ids)
        self._handles[handle] = (path, bytearray())
        return 200, {"handle": handle}

    def _dbfs_add_block(
        self, stream: tuple[str, bytearray], body: dict[str, Any]
    ) -> tuple[int, Any]:
        block = base64.b64decode(body.get("data", ""))
        if len(block) > DBFS_BLOCK_LIMIT:
            return 400, {"error_code": "MAX_BLOCK_SIZE_EXCEEDED", "message": "over 1 MB"}
        stream[1].extend(block)
        return 200, {}

    def _submit(self, body: dict[str, Any]) -> int:
        run_id = next(self._ids)
        outcome = self.outcomes.get(body.get("run_name", ""), self.default)
        self.runs[run_id] = FakeRun(run_id, run_id * 1000 + 1, body, outcome)
        return run_id

    def _run(self, body: dict[str, Any]) -> FakeRun | None:
        try:
            wanted = int(body.get("run_id", -1))
        except (TypeError, ValueError):
            return None
        for run in self.runs.values():
            if wanted in (run.run_id, run.task_run_id):
                return run
        return None

    def _describe(self, run: FakeRun) -> dict[str, Any]:
        state = run.state()
        task = run.body.get("tasks", [{}])[0]
        return {
            "job_id": 7,
            "run_id": run.run_id,
            "run_name": run.body.get("run_name"),
            "state": state,
            "run_page_url": f"{self.url}/#job/7/run/{run.run_id}",
            "tasks": [
                {"run_id": run.task_run_id, "task_key": task.get("task_key"), "state": state}
            ],
        }


# The Jobs API 2.1/2.2 ``Library`` object: exactly one of these keys; a string for the file
# kinds, an object with these fields (the first required) for the package kinds.
_LIBRARY_FILES = ("jar", "egg", "whl", "requirements")
_LIBRARY_PACKAGES = {
    "pypi": ("package", "repo"),
    "maven": ("coordinates", "repo", "exclusions"),
    "cran": ("package", "repo"),
}


def libraries_problem(body: dict[str, Any]) -> str | None:
    """What is wrong with the ``libraries`` of a runs/submit body's tasks, as Databricks
    would refuse it (None when they are well formed). Libraries belong to a task, not the run."""
    if "libraries" in body:
        return "libraries is a field of each task in runs/submit, not of the run"
    for task in body.get("tasks") or []:
        libraries = task.get("libraries", [])
        if not isinstance(libraries, list):
            return f"task {task.get('task_key')}: libraries must be an array"
        for library in libraries:
            problem = _library_problem(library)
            if problem:
                return f"task {task.get('task_key')}: library {library!r}: {problem}"
    return None


def _library_problem(library: Any) -> str | None:
    if not isinstance(library, dict) or len(library) != 1:
        return "a library is an object with exactly one of " + ", ".join(
            [*_LIBRARY_FILES, *_LIBRARY_PACKAGES]
        )
    ((kind, value),) = library.items()
    if kind in _LIBRARY_FILES:
        return None if isinstance(value, str) and value else f"{kind} must be a path"
    if kind not in _LIBRARY_PACKAGES:
        return f"unknown library type {kind!r}"
    fields = _LIBRARY_PACKAGES[kind]
    if not isinstance(value, dict) or set(value) - set(fields):
        return f"{kind} takes the fields {', '.join(fields)}"
    if not isinstance(value.get(fields[0]), str) or not value[fields[0]]:
        return f"{kind}.{fields[0]} is required"
    exclusions = value.get("exclusions", [])
    if not isinstance(exclusions, list) or not all(isinstance(e, str) for e in exclusions):
        return f"{kind}.exclusions must be an array of strings"
    return None


def _handler(api: JobsApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            prefix = next((p for p in PREFIXES if parts.path.startswith(p)), None)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("Authorization") != f"Bearer {api.token}":
                self._reply(401, {"error_code": "UNAUTHENTICATED", "message": "bad token"})
                return
            if prefix is None:
                self._reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": parts.path})
                return
            # The sync hook sends GET arguments in the query, the deferrable one as a body.
            body: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if raw:
                body.update(json.loads(raw))
            if method == "GET":
                api.get_bodies.append("json" if raw else "query")
            status, reply = api.handle(method, parts.path[len(prefix) :], body)
            self._reply(status, reply)

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler
