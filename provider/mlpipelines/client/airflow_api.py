"""A small client for Airflow's REST API v2: auth, DAG runs, task instances, XCom, logs.

Calls ride out a busy or restarting Airflow: a call that times out, cannot connect or is
answered 429/5xx is sent again with exponential backoff when sending it twice does no harm
(reads, PUT/PATCH/DELETE, and a trigger whose run id the client chose: a repeat that finds
the run made answers 409, and the client reads that run).
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from mlpipelines.errors import MlPipelinesError, UserErrorException

NO_URL = (
    "the workspace config names no airflow_url (nor is MLPIPELINES_AIRFLOW_URL set); "
    "add airflow_url to the config or set MLPIPELINES_AIRFLOW_URL"
)
FINISHED_RUN_STATES = frozenset({"success", "failed"})
# Answers that mean "not now": a retried call may succeed (a busy SQLite writer lock comes
# back as 500 or as a slow answer).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Long enough for a local Airflow whose four processes queue on one SQLite writer.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_ATTEMPTS = 5
PAGE_SIZE = 100  # Airflow's [api] maximum_page_limit default
DEFAULT_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0


class AirflowApiError(MlPipelinesError, RuntimeError):
    """A REST call Airflow answered with an error; carries the status and Airflow's detail."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        try:
            self.detail = response.json().get("detail", response.text)
        except ValueError:
            self.detail = response.text
        super().__init__(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {self.detail}"
        )


class AirflowUnavailableError(MlPipelinesError, ConnectionError):
    """Airflow did not answer (timeouts, refused connections, 5xx) on any try of a call."""


def new_dag_run_id() -> str:
    """A run id the client chooses before triggering, so a trigger sent twice makes one run."""
    now = datetime.now(timezone.utc).isoformat()
    return f"manual__{now}_{secrets.token_hex(3)}"


def _retry_after(response: httpx.Response) -> float:
    """The seconds a 429/503 answer's ``Retry-After`` asks for (0 without one), at most 60."""
    try:
        return min(float(response.headers.get("Retry-After", 0)), 60.0)
    except ValueError:  # an HTTP date: rare from Airflow; the backoff stands
        return 0.0


def _q(value: str) -> str:
    return quote(value, safe="")


def _log_line(event: dict[str, Any]) -> str:
    """One structured log event as text, with any exception Airflow attached to it."""
    line = f"[{event.get('level', '')}] {event.get('event', '')}"
    for error in event.get("error_detail") or []:
        line += f"\n{error.get('exc_type')}: {error.get('exc_value')}"
    return line


class AirflowApi:
    """Talks to one Airflow deployment; fetches a JWT from ``/auth/token`` when given a
    username and password, and again when it expires."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._token = token
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    @classmethod
    def from_workspace(cls, workspace: Any) -> AirflowApi:
        if not workspace.airflow_url:
            raise UserErrorException(NO_URL)
        auth = getattr(workspace, "auth", None)
        if getattr(auth, "_token", None) or getattr(auth, "_username", None):
            return cls(
                workspace.airflow_url,
                getattr(auth, "_username", None),
                getattr(auth, "_password", None),
                getattr(auth, "_token", None),
            )
        return cls(workspace.airflow_url, workspace.username, workspace.password, workspace.token)

    # -- plumbing -----------------------------------------------------------------------------
    def token(self) -> str | None:
        if self._token is None and self._username is not None:
            # Asking for a token twice is harmless: retried like a read.
            response = self._send(
                "POST",
                "/auth/token",
                retry=True,
                json={"username": self._username, "password": self._password},
            )
            if response.status_code >= 400:
                raise AirflowApiError(response)
            self._token = response.json()["access_token"]
        return self._token

    def request(
        self, method: str, path: str, retry: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One call with the bearer token; a 401 refreshes the token once. ``retry`` (by
        default: for methods that may safely be sent twice) retries timeouts and 429/5xx."""
        for attempt in (1, 2):
            token = self.token()
            headers = {
                **kwargs.pop("headers", {}),
                **({"Authorization": f"Bearer {token}"} if token else {}),
            }
            response = self._send(method, path, retry=retry, headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 1 and self._username is not None:
                self._token = None
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            return response
        return response

    def _send(self, method: str, path: str, retry: bool | None, **kwargs: Any) -> httpx.Response:
        """Send, and again after a pause (doubling, with jitter) while Airflow is busy: for
        a call that may be repeated, on a timeout, a dropped connection or 429/5xx; for any
        call, when the connection was refused (nothing reached Airflow)."""
        repeatable = method.upper() in IDEMPOTENT_METHODS if retry is None else retry
        pause = self._backoff
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            response: httpx.Response | None = None
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if last or not (repeatable or isinstance(exc, httpx.ConnectError)):
                    raise AirflowUnavailableError(
                        f"Airflow at {self.base_url} did not answer {method} {path} "
                        f"({attempt} tr{'y' if attempt == 1 else 'ies'}): "
                        f"{type(exc).__name__} {exc}".rstrip()
                    ) from exc
            else:
                if last or not repeatable or response.status_code not in RETRY_STATUSES:
                    return response
            wait = min(pause, MAX_BACKOFF_SECONDS) * random.uniform(0.75, 1.25)
            if response is not None:
                wait = max(wait, _retry_after(response))
            time.sleep(wait)
            pause *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call whose error status raises AirflowApiError; returns the JSON body."""
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AirflowApiError(response)
        return response.json() if response.content else None

    # -- DAGs and runs ------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.call("GET", "/api/v2/monitor/health")

    def get_dag(self, dag_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v2/dags/{_q(dag_id)}")

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Wait until the DAG processor has parsed ``dag_id``; raise with any import error."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.request("GET", f"/api/v2/dags/{_q(dag_id)}")
            if response.status_code == 200:
                return response.json()
            if time.monotonic() > deadline:
                errors = self.call("GET", "/api/v2/importErrors")["import_errors"]
                raise TimeoutError(
                    f"DAG '{dag_id}' did not appear in {timeout:.0f}s; import errors: {errors}"
                )
            time.sleep(1.0)

    def trigger(
        self,
        dag_id: str,
        conf: dict[str, Any] | None = None,
        note: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Start a DAG run with ``conf``; Airflow refuses params of the wrong type (400).

        The run id is chosen here (``run_id`` or a new one) before the first try, so a
        trigger retried after Airflow made the run (its answer lost to a timeout or a 5xx)
        is answered 409 and the run made is returned: one run, however many tries.
        """
        run_id = run_id or new_dag_run_id()
        body: dict[str, Any] = {"logical_date": None, "conf": conf or {}, "dag_run_id": run_id}
        if note:
            body["note"] = note
        path = f"/api/v2/dags/{_q(dag_id)}/dagRuns"
        response = self.request("POST", path, retry=True, json=body)
        if response.status_code == 409:
            run = self.get_run(dag_id, run_id)
            if (run.get("conf") or {}) == (conf or {}):
                return run
        if response.status_code >= 400:
            raise AirflowApiError(response)
        result: dict[str, Any] = response.json()
        return result

    def get_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}")

    def list_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.all_pages(f"/api/v2/dags/{_q(dag_id)}/dagRuns", "dag_runs")

    def wait_for_run(
        self, dag_id: str, run_id: str, timeout: float = 600.0, poll: float = 0.5
    ) -> dict[str, Any]:
        """Poll a run until it succeeds or fails; TimeoutError past ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_run(dag_id, run_id)
            if run["state"] in FINISHED_RUN_STATES:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {run_id} of {dag_id} still {run['state']} after {timeout:.0f}s"
                )
            time.sleep(poll)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances"
        return self.all_pages(path, "task_instances")

    def all_pages(self, path: str, key: str) -> list[dict[str, Any]]:
        """Every entry of a paged list (Airflow answers 50 by default, 100 at most per
        call), in a stable order: a pipeline of 60 steps has 60 task instances, not 50."""
        entries: list[dict[str, Any]] = []
        while True:
            params = {"limit": PAGE_SIZE, "offset": len(entries), "order_by": "id"}
            page = self.call("GET", path, params=params)
            entries += page[key]
            if not page[key] or len(entries) >= int(page.get("total_entries", 0)):
                return entries

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str) -> Any:
        """One XCom value, deserialized."""
        path = (
            f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/"
            f"{_q(task_id)}/xcomEntries/{_q(key)}"
        )
        return self.call("GET", path, params={"deserialize": "true"})["value"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        """A task try's log as text, one line per log event."""
        path = (
            f"/api/v2/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/"
            f"{_q(task_id)}/logs/{try_number}"
        )
        content = self.call("GET", path, params={"full_content": "true"})["content"]
        if isinstance(content, str):
            return content
        return "\n".join(_log_line(event) for event in content)

    def ui_url(self, dag_id: str, run_id: str | None = None) -> str:
        url = f"{self.base_url}/dags/{_q(dag_id)}"
        return f"{url}/runs/{_q(run_id)}" if run_id else url

    def close(self) -> None:
        self._http.close()
