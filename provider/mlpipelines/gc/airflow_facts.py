"""What Airflow says gc must not touch: runs queued or running, the outputs they read, and
the spec versions of those runs and of each pipeline's newest kept runs. Asked through the
REST client; gc refuses to remove run data without it unless told it runs offline."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from mlpipelines._naming import path_safe
from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.gc.facts import AirflowFacts
from mlpipelines.records.reserved import OUTPUT_XCOM_PREFIX, REUSE_XCOM_KEY

ACTIVE_STATES = ("queued", "running")
SPEC_DIGEST_CONF = "mlpipelines_spec_digest"
PAGE = 100


def airflow_facts(
    api: AirflowApi, datastore: str, dag_ids: Iterable[str], keep_last: int
) -> AirflowFacts:
    """Ask Airflow; ``datastore`` is the surveyed one (only its outputs matter), ``dag_ids``
    the pipelines with runs there. Raises ``AirflowUnavailableError`` when it does not
    answer."""
    active = list(_pages(api, "/api/v2/dags/~/dagRuns", {"state": list(ACTIVE_STATES)}))
    digests = {_digest(run) for run in active}
    in_use: set[str] = set()
    for run in active:
        in_use |= _outputs_read(api, run["dag_id"], run["dag_run_id"], datastore)
    if keep_last > 0:
        for dag_id in sorted(set(dag_ids)):
            response = api.request(
                "GET",
                f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns",
                params={"order_by": "-run_after", "limit": keep_last},
            )
            if response.status_code == 200:
                digests |= {_digest(run) for run in response.json()["dag_runs"]}
    return AirflowFacts(
        reachable=True,
        active_runs=frozenset((r["dag_id"], path_safe(r["dag_run_id"])) for r in active),
        in_use_outputs=frozenset(in_use),
        spec_digests=frozenset(d for d in digests if d),
    )


def _pages(api: AirflowApi, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item of a paged collection (``dag_runs`` or ``xcom_entries``)."""
    offset = 0
    while True:
        body = api.call("GET", path, params={**params, "limit": PAGE, "offset": offset})
        items = body.get("dag_runs", body.get("xcom_entries", []))
        yield from items
        offset += len(items)
        if len(items) < PAGE or offset >= int(body.get("total_entries") or 0):
            return


def _digest(run: dict[str, Any]) -> str | None:
    digest = (run.get("conf") or {}).get(SPEC_DIGEST_CONF)
    return str(digest) if digest else None


def _outputs_read(api: AirflowApi, dag_id: str, run_id: str, datastore: str) -> set[str]:
    """The paths on ``datastore`` of every output a run's tasks pushed or its reuse sensor
    handed on (outputs reused from earlier runs among them)."""
    base = f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
    paths: set[str] = set()
    try:
        entries = list(_pages(api, f"{base}/taskInstances/~/xcomEntries", {}))
    except AirflowApiError as exc:
        if exc.status_code == 404:
            return paths  # the run was deleted since it was listed: it reads nothing now
        raise
    for entry in entries:
        key = entry["key"]
        if key != REUSE_XCOM_KEY and not key.startswith(OUTPUT_XCOM_PREFIX):
            continue
        try:
            value = api.call(
                "GET",
                f"{base}/taskInstances/{quote(entry['task_id'], safe='')}/xcomEntries/"
                f"{quote(key, safe='')}",
                params={"deserialize": "true", "map_index": entry.get("map_index", -1)},
            )["value"]
        except AirflowApiError:
            continue  # cleared meanwhile
        paths |= set(references_on(value, datastore))
    return paths


def references_on(value: Any, datastore: str) -> Iterator[str]:
    """The paths of every output reference (``{"datastore", "path", "uri", ...}``) on
    ``datastore`` anywhere in an XCom value."""
    if isinstance(value, dict):
        if value.get("datastore") == datastore and isinstance(value.get("path"), str):
            yield value["path"].strip("/")
        for item in value.values():
            yield from references_on(item, datastore)
    elif isinstance(value, list):
        for item in value:
            yield from references_on(item, datastore)
