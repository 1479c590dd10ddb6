"""What the Airflow UI shows of mlpipelines on a real Airflow, through its REST API: the DAG
list and trigger form, the loader DAG, datastores as connections, asset events, extra links,
and `mlpipelines trigger` of a DAG that does not exist."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.e2e

DAG_ID = "e2e_ui_surfaces"
CLI = (sys.executable, "-m", "mlpipelines.cli.main")


def _details(airflow: Any, dag_id: str) -> dict[str, Any]:
    airflow.api.wait_for_dag(dag_id, timeout=120)
    return airflow.api.call("GET", f"/api/v2/dags/{dag_id}/details")


def _asset_events(airflow: Any, asset_name: str) -> list[dict[str, Any]]:
    (asset,) = [
        a
        for a in airflow.api.call("GET", "/api/v2/assets", params={"name_pattern": asset_name})[
            "assets"
        ]
        if a["name"] == asset_name
    ]
    return airflow.api.call("GET", "/api/v2/assets/events", params={"asset_id": asset["id"]})[
        "asset_events"
    ]


def test_dag_list_and_trigger_form(airflow: Any) -> None:
    details = _details(airflow, DAG_ID)
    assert details["description"] == "ML pipeline of 1 step: echo"
    assert {t["name"] for t in details["tags"]} == {"mlpipelines", "PythonScriptStep"}
    params = details["params"]
    assert params["greeting"]["description"] == "Said first"
    assert params["count"]["description"] == "Pipeline parameter (integer), used by step(s): echo."
    # The form marks a field required only when its type does not admit null: every one of
    # these has a default.
    for name in ("greeting", "count", "regenerate_outputs"):
        assert "null" in params[name]["schema"]["type"], params[name]


def test_the_loader_dag_is_labelled_internal(airflow: Any) -> None:
    loader = _details(airflow, "mlpipelines_specs")
    assert {t["name"] for t in loader["tags"]} == {"mlpipelines", "mlpipelines:internal"}
    assert loader["description"].startswith("Internal to mlpipelines")
    assert "internal" in loader["dag_display_name"]


def test_the_default_datastores_are_connections(airflow: Any) -> None:
    listed = airflow.api.call("GET", "/api/v2/connections", params={"limit": 100})
    by_id = {c["connection_id"]: c for c in listed["connections"]}
    for name in ("workspaceblobstore", "workspacefilestore"):
        connection = by_id[name]
        assert connection["conn_type"] == "mlpipelines_local"
        assert json.loads(connection["extra"]) == {"path": str(airflow.home / "mlpipelines" / name)}
        assert "default datastore" in connection["description"]


def test_a_run_makes_asset_events_and_links_and_a_reuse_makes_none(airflow: Any) -> None:
    raw = airflow.blobstore / DAG_ID / "raw.txt"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(f"made at {time.time()}\n")
    # A field cleared in the trigger form arrives as null: the step gets the default.
    run, tis = airflow.run(DAG_ID, {"greeting": None, "count": 5})
    assert run["state"] == "success", tis
    run_id = run["dag_run_id"]
    received = json.loads(
        (airflow.output_path(DAG_ID, run_id, "echo", "echoed") / "received.json").read_text()
    )
    assert received["argv"][:3] == ["hello", "--count", "5"]

    outlet = f"workspaceblobstore/pipelinedata/{DAG_ID}/*/echo/echoed"
    (event,) = [e for e in _asset_events(airflow, outlet) if e["source_run_id"] == run_id]
    assert event["source_task_id"] == "echo"
    ref = airflow.api.xcom(DAG_ID, run_id, "echo", "output_echoed")
    assert event["extra"]["uri"] == ref["uri"]
    assert event["extra"]["fingerprint"] == ref["fingerprint"]

    links = airflow.api.call(
        "GET",
        f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/echo/links",
    )["extra_links"]
    assert links["Outputs"] == ref["uri"]
    artifacts = Path(links["Artifacts"].removeprefix("file://"))
    assert (artifacts / "stdout.txt").read_text().startswith("received")

    again, tis = airflow.run(DAG_ID, {"greeting": "hello", "count": 5})
    assert tis["echo"]["state"] == "skipped"  # reused: it wrote nothing, so no event
    assert not [
        e for e in _asset_events(airflow, outlet) if e["source_run_id"] == again["dag_run_id"]
    ]


def test_trigger_of_an_unknown_dag_fails_fast_with_the_dags_there_are(airflow: Any) -> None:
    _details(airflow, DAG_ID)
    started = time.monotonic()
    done = subprocess.run(
        [*CLI, "trigger", "e2e_ui_surface", "--config", str(airflow.home / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - started
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no DAG 'e2e_ui_surface'" in done.stderr
    assert f"did you mean '{DAG_ID}'" in done.stderr
    assert "e2e_arguments" in done.stderr  # the DAGs there are
    assert took < 60, took  # a full re-parse of the dags folder, not the 120 s timeout
