"""A datastore-watching schedule as a DAG: a continuous run whose sensor waits for new or
changed files, then one pipeline run per file (Azure ML's datastore-triggered schedule).

Why a continuous DAG with a reschedule-mode sensor rather than an Asset with an
AssetWatcher: the watcher's trigger keeps its state in the triggerer's memory and an asset
event carries no conf, so the changed path could not reach the pipeline's DataPath
parameter; a sensor's state lives in create-once documents on a datastore and the trigger
task passes the path as conf.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

WATCH_KIND = "datastore_watch"
START_TASK_ID = "start_run"


def render_watch_dag(spec: dict[str, Any], tags: list[str]) -> Any:
    """The watch DAG of a ``{"kind": "datastore_watch", ...}`` spec."""
    from airflow.sdk import DAG

    from mlpipelines.operators.watched_run import WatchedRunOperator
    from mlpipelines.sensors.datastore_watch import WATCH_TASK_ID, DatastoreWatchSensor

    watch = spec["watch"]
    settings = dict(spec.get("dag_settings") or {})
    with DAG(
        spec["dag_id"],
        schedule="@continuous",
        max_active_runs=1,
        start_date=datetime.fromisoformat(settings["start_date"]),
        catchup=False,
        is_paused_upon_creation=settings.get("is_paused_upon_creation", False),
        description=settings.get("description"),
        tags=sorted(set(tags)),
        doc_md=f"Watches `{watch['path_on_datastore'] or '/'}` on datastore "
        f"`{watch['datastore']['name']}` and runs `{watch['pipeline_dag_id']}` for each new "
        "or changed file.",
    ) as dag:
        changed = DatastoreWatchSensor(
            task_id=WATCH_TASK_ID,
            watch_id=watch["id"],
            datastore=watch["datastore"],
            path_on_datastore=watch["path_on_datastore"],
            state_store=watch["state_store"],
            poke_interval=float(watch["poll_seconds"]),
        )
        WatchedRunOperator.partial(
            task_id=START_TASK_ID,
            trigger_dag_id=watch["pipeline_dag_id"],
            base_conf=watch["conf"],
            datastore_name=watch["datastore"]["name"],
            data_path_parameter_name=watch.get("data_path_parameter_name"),
        ).expand(changed_path=changed.output)
    return dag
