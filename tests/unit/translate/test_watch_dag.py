"""A datastore schedule's spec renders as a continuous DAG: a reschedule-mode sensor on the
watched path, then one pipeline trigger per new or changed file."""

from __future__ import annotations

from mlpipelines.translate.spec import spec_digest
from mlpipelines.translate.spec_loader import render_spec


def _spec():
    return {
        "kind": "datastore_watch",
        "dag_id": "score__v1__sched_watch",
        "watch": {
            "id": "w1",
            "datastore": {"name": "workspaceblobstore", "kind": "local"},
            "path_on_datastore": "file/path",
            "state_store": {"name": "workspaceblobstore", "kind": "local"},
            "poll_seconds": 300.0,
            "pipeline_dag_id": "score__v1",
            "data_path_parameter_name": "input_data",
            "conf": {"mlpipelines_experiment": "Schedule-run-sample"},
        },
        "dag_settings": {
            "tags": ["schedule", "datastore-watch"],
            "start_date": "2026-12-01T00:00:00+00:00",
            "is_paused_upon_creation": False,
            "description": "watch",
        },
    }


def test_watch_spec_renders_a_sensor_then_a_mapped_trigger():
    spec = _spec()
    dag = render_spec(spec)
    assert dag.dag_id == "score__v1__sched_watch"
    assert f"spec:{spec_digest(spec)}" in dag.tags and "datastore-watch" in dag.tags
    assert dag.max_active_runs == 1 and "Continuous" in type(dag.timetable).__name__
    watch, start = dag.get_task("watch"), dag.get_task("start_run")
    assert (watch.mode, watch.poke_interval, watch.path_on_datastore) == (
        "reschedule",
        300.0,
        "file/path",
    )
    assert watch.soft_fail is True
    assert start.upstream_task_ids == {"watch"}
    assert start.partial_kwargs["trigger_dag_id"] == "score__v1"
    assert start.partial_kwargs["data_path_parameter_name"] == "input_data"
    assert "changed_path" in start.expand_input.value
