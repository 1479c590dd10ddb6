"""A DAG looked up by id before a run starts: waited for while Airflow may still be parsing
it, refused within seconds, with the DAGs that do exist, once it is clearly not coming.

"Clearly not coming": every DAG seen at the first look has been parsed again since, so the
DAG processor went over its files once more without finding it (seconds where files are
re-parsed every few seconds, as on `mlpipelines airflow up`'s Airflow; Airflow's default is
every 30 s). A freshly started Airflow that has parsed nothing yet is waited for.
"""

from __future__ import annotations

import difflib
import time
from typing import Any
from urllib.parse import quote

from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.errors import UserErrorException

PAGE = 100  # Airflow's default maximum_page_limit
SHOWN = 40


class UnknownDagError(UserErrorException):
    """Airflow has no DAG of that id, and parsed all its DAG files again without one."""


def wait_for_known_dag(
    api: AirflowApi, dag_id: str, timeout: float = 120.0, poll_seconds: float = 1.0
) -> dict[str, Any]:
    """The DAG ``dag_id`` (``GET /api/v2/dags/{id}``) once Airflow knows it; UnknownDagError
    as soon as a full parse went by without it, or at ``timeout``."""
    deadline = time.monotonic() + timeout
    first: dict[str, str | None] | None = None
    while True:
        response = api.request("GET", f"/api/v2/dags/{quote(dag_id, safe='')}")
        if response.status_code == 200:
            found: dict[str, Any] = response.json()
            return found
        known = parse_times(api)
        if known and first is None:
            first = known
        elif first is not None and reparsed_since(first, known):
            raise UnknownDagError(unknown_dag_message(api, dag_id, known))
        if time.monotonic() > deadline:
            raise UnknownDagError(unknown_dag_message(api, dag_id, known, waited=timeout))
        time.sleep(poll_seconds)


def parse_times(api: AirflowApi) -> dict[str, str | None]:
    """Every DAG Airflow knows (stale ones aside) with the time its file was last parsed."""
    found: dict[str, str | None] = {}
    offset = 0
    while True:
        page = api.call("GET", "/api/v2/dags", params={"limit": PAGE, "offset": offset})
        for dag in page["dags"]:
            found[dag["dag_id"]] = dag.get("last_parsed_time")
        offset += len(page["dags"])
        if not page["dags"] or offset >= page["total_entries"]:
            return found


def reparsed_since(first: dict[str, str | None], now: dict[str, str | None]) -> bool:
    """Whether each DAG of the first look that is still there has been parsed again."""
    still = [dag_id for dag_id in first if dag_id in now]
    return bool(still) and all(now[d] is not None and now[d] != first[d] for d in still)


def unknown_dag_message(
    api: AirflowApi, dag_id: str, known: dict[str, str | None], waited: float | None = None
) -> str:
    """Why ``dag_id`` cannot be run: the closest ids, the DAGs there are, files that failed."""
    names = sorted(known)
    if waited is not None:
        text = f"Airflow has no DAG '{dag_id}' after {waited:.0f}s"
    else:
        text = f"Airflow has no DAG '{dag_id}' (it parsed its DAG files again without finding it)"
    close = difflib.get_close_matches(dag_id, names, n=3)
    if close:
        text += f"; did you mean {', '.join(repr(c) for c in close)}?"
    shown = ", ".join(names[:SHOWN]) + (
        f", ... ({len(names)} in all)" if len(names) > SHOWN else ""
    )
    text += f"\nDAGs there are: {shown or 'none'}"
    errors = api.call("GET", "/api/v2/importErrors", params={"limit": PAGE})["import_errors"]
    if errors:
        files = ", ".join(sorted({str(e.get("filename")) for e in errors}))
        text += f"\nDAG files that failed to import (see the UI's import errors): {files}"
    return text
