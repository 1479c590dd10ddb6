"""Render every stored pipeline spec into a DAG: what the loader DAG file in dags/ calls.

Specs live on the specs datastore (``MLPIPELINES_SPECS_DATASTORE``, else the default
datastore) under ``.mlpipelines/specs/<dag_id>.json``. Parsing reads only those small files
(kept by path and mtime while the process lives): no network.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from mlpipelines.translate.render import render_dag
from mlpipelines.translate.spec import LOADER_DAG_ID, spec_digest, spec_to_plan, specs_folder
from mlpipelines.translate.watch import WATCH_KIND, render_watch_dag

log = logging.getLogger(__name__)
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
        tags=["mlpipelines"],
        doc_md="Renders the pipelines submitted or published to "
        "this Airflow; it has no tasks of its own.",
    )
    rendered: list[str] = []
    for path in sorted((folder or specs_folder()).glob("*.json")):
        spec = _read(path)
        if spec is None:
            continue
        namespace[f"pipeline_{len(rendered)}"] = render_spec(spec)
        rendered.append(spec["dag_id"])
    return rendered


def render_spec(spec: dict[str, Any]) -> Any:
    """One spec as a DAG, tagged with the spec's digest (how clients see it was parsed)."""
    settings = dict(spec.get("dag_settings") or {})
    tags = [*settings.pop("tags", []), f"spec:{spec_digest(spec)}"]
    if spec.get("kind") == WATCH_KIND:
        return render_watch_dag(spec, tags)
    if isinstance(settings.get("start_date"), str):  # JSON holds a schedule's start as text
        from datetime import datetime

        settings["start_date"] = datetime.fromisoformat(settings["start_date"])
    return render_dag(spec_to_plan(spec), spec["dag_id"], tags=tags, **settings)
