"""Render every stored pipeline spec into a DAG: what the loader DAG file in dags/ calls.

Specs live on the specs datastore (``MLPIPELINES_SPECS_DATASTORE``, else the default
datastore) under ``.mlpipelines/specs/<dag_id>.json``. On a local folder parsing reads those
small files (kept by path and mtime while the process lives). On Azure Blob or S3 (workers
that share no disk) it first refreshes a local copy of them, one listing plus the changed
documents, bounded in time (``storage.control_mirror``), and renders from that copy.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from mlpipelines._collector import collection_paused
from mlpipelines.translate.dag_labels import TAG
from mlpipelines.translate.render import render_dag
from mlpipelines.translate.spec import (
    LOADER_DAG_ID,
    SPECS_COLLECTION,
    spec_digest,
    spec_to_plan,
    specs_folder,
)
from mlpipelines.translate.watch import WATCH_KIND, render_watch_dag

log = logging.getLogger(__name__)
LOADER_TAG = "mlpipelines:internal"
LOADER_DISPLAY_NAME = "mlpipelines (internal): pipeline loader"
LOADER_DESCRIPTION = (
    "Internal to mlpipelines: renders the pipelines submitted or published to this Airflow. "
    "No tasks, nothing to run; keep it."
)
LOADER_DOC = """### mlpipelines' pipeline loader (internal)

This DAG has no tasks and never needs a run. Its file (`mlpipelines_specs.py` in the dags
folder) renders every pipeline submitted with `Experiment.submit` or published with
`Pipeline.publish` into a DAG of its own; clients ask Airflow to re-parse that file through
this DAG's id. Deleting the file makes those pipelines disappear.
"""
_cache: dict[Path, tuple[int, dict[str, Any]]] = {}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        mtime = path.stat().st_mtime_ns
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("pipeline spec %s cannot be read: %s", path, exc)
        return None
    _cache[path] = (mtime, spec)
    return spec


def load_spec_dags(namespace: dict[str, Any], folder: Path | None = None) -> list[str]:
    """Render each stored spec into ``namespace`` (a DAG file's globals); returns the ids.

    The file also defines the (task-less) ``mlpipelines_specs`` DAG, so that clients can ask
    Airflow to re-parse this file by a DAG id that always exists.
    """
    from airflow.sdk import DAG

    namespace[LOADER_DAG_ID] = DAG(
        LOADER_DAG_ID,
        schedule=None,
        tags=[TAG, LOADER_TAG],
        dag_display_name=LOADER_DISPLAY_NAME,
        description=LOADER_DESCRIPTION,
        doc_md=LOADER_DOC,
    )
    rendered: list[str] = []
    for path in sorted((folder or _specs_folder()).glob("*.json")):
        spec = _read(path)
        if spec is None:
            continue
        namespace[f"pipeline_{len(rendered)}"] = render_spec(spec)
        rendered.append(spec["dag_id"])
    return rendered


def _specs_folder() -> Path:
    """The local folder holding the specs to render: the specs datastore's own when it is a
    local folder, else this machine's refreshed copy of them."""
    from mlpipelines.storage.deployment import Deployment, airflow_home

    deployment = Deployment.current()
    name = deployment.specs_datastore()
    if deployment.datastore_spec(name).is_local:
        return specs_folder(deployment)
    from mlpipelines.storage.connections import open_datastore
    from mlpipelines.storage.control_mirror import mirror_folder, refresh_mirror

    folder = mirror_folder(airflow_home(), name, SPECS_COLLECTION)
    refresh_mirror(open_datastore(name, deployment), SPECS_COLLECTION, folder)
    return folder


def render_spec(spec: dict[str, Any]) -> Any:
    """One spec as a DAG, tagged with the spec's digest (how clients see it was parsed)."""
    settings = dict(spec.get("dag_settings") or {})
    tags = [*settings.pop("tags", []), f"spec:{spec_digest(spec)}"]
    if spec.get("kind") == WATCH_KIND:
        return render_watch_dag(spec, tags)
    if isinstance(settings.get("start_date"), str):  # JSON holds a schedule's start as text
        settings["start_date"] = schedule_start(
            settings["start_date"], settings.pop("timezone", None)
        )
    with collection_paused():
        return render_dag(spec_to_plan(spec), spec["dag_id"], tags=tags, **settings)


def schedule_start(start: str, zone: str | None) -> Any:
    """A schedule's start as the DAG takes it: wall-clock time in ``zone`` (an IANA name, so
    Airflow runs the cron in that zone, daylight saving included); an older spec's start, with
    no zone, is read as it was."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    when = datetime.fromisoformat(start)
    if zone is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=ZoneInfo(zone))
