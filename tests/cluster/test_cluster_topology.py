"""The distributed deployment itself: tasks land on both Celery workers and their logs are
read through the REST API; a pipeline runs with its data on Azurite only, and reuses it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKERS = ("worker-1", "worker-2")


def test_parallel_tasks_run_on_both_workers_and_their_logs_are_readable(cluster):
    cluster.deploy(HERE / "dags" / "cluster_fanout.py")
    run, tis = cluster.run("cluster_fanout")
    assert run["state"] == "success", tis
    hostnames = {ti["hostname"] for ti in tis.values()}
    assert hostnames == {cluster.state["workers"][w] for w in WORKERS}, tis
    for task_id, ti in tis.items():
        number = task_id.split("_")[1]
        line = f"task {number} on {ti['hostname']}"
        log = cluster.task_log("cluster_fanout", run["dag_run_id"], task_id, expect=line)
        assert line in log, log
        # The log came from the task's own worker, read back from Azurite.
        worker = next(w for w, name in cluster.state["workers"].items() if name == ti["hostname"])
        assert f"home {cluster.home(worker)}" in log


def test_a_pipeline_keeps_its_data_on_azurite_and_is_reused(cluster):
    cluster.deploy(REPO / "dags" / "hello_pipeline.py", REPO / "dags" / "scripts")
    first, tis = cluster.run("hello_pipeline")
    assert first["state"] == "success", tis
    assert tis["greet"]["state"] == tis["shout"]["state"] == "success"

    message = cluster.api.xcom("hello_pipeline", first["dag_run_id"], "greet", "output_message")
    assert message["uri"].startswith("az://workspaceblobstore/pipelinedata/hello_pipeline/")
    blobs = cluster.blobs("workspaceblobstore")
    assert f"{message['path']}/message.txt" in blobs, sorted(blobs)
    log = cluster.task_log("hello_pipeline", first["dag_run_id"], "shout", "HELLO")
    assert "HELLO" in log

    for component in cluster.state["components"]:
        local = cluster.home(component) / "mlpipelines" / "workspaceblobstore"
        assert not local.exists(), f"{component} keeps datastore files on its own disk"
    _assert_no_home_mentions_another(cluster)

    second, tis = cluster.run("hello_pipeline")
    assert second["state"] == "success", tis
    assert {t: ti["state"] for t, ti in tis.items()} == {
        "mlpipelines_reuse": "success",
        "greet": "skipped",
        "shout": "skipped",
    }
    sensor_log = cluster.task_log(
        "hello_pipeline", second["dag_run_id"], "mlpipelines_reuse", "reused from run"
    )
    assert f"reused from run {first['dag_run_id']}" in sensor_log


def _assert_no_home_mentions_another(cluster) -> None:
    """No file in a worker's home names another component's home: each worker read its DAG
    files, sources and inputs from its own disk or from Azurite, never through another's."""
    homes = {c: str(cluster.home(c)).encode() for c in cluster.state["components"]}
    for worker in WORKERS:
        others = {c: path for c, path in homes.items() if c != worker}
        for file in cluster.home(worker).rglob("*"):
            if not file.is_file():
                continue
            content = file.read_bytes()
            named = [c for c, path in others.items() if path + b"/" in content]
            assert not named, f"{file} names the home of {named}"
