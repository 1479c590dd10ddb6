"""Schedules of published pipelines: a DAG of their own on the recurrence's cron, with the
schedule's parameter values, or watching a datastore path; disable pauses it, enable
restores it."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineEndpoint, PipelineParameter
from mlpipelines.azureml.pipeline.core.schedule import Schedule, ScheduleRecurrence, TimeZone
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.client.schedule_specs import TEST_POLL_SECONDS_ENV
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e


def test_a_schedule_runs_the_published_pipeline_on_its_cron(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    (tmp_path / "tick.py").write_text("import sys\nprint('tick', sys.argv[1:])\n")
    word = PipelineParameter("word", default_value="default")
    step = PythonScriptStep(
        name="tick", script_name="tick.py", source_directory=str(tmp_path), arguments=[word]
    )
    published = Pipeline(ws, [step]).publish("ticker")
    recurrence = ScheduleRecurrence(frequency="Hour", interval=2, minutes=[15])
    schedule = Schedule.create(
        ws,
        name="every-two-hours",
        pipeline_id=published.id,
        experiment_name="ticks",
        recurrence=recurrence,
        pipeline_parameters={"word": "scheduled"},
    )
    assert schedule.cron == "15 */2 * * *"
    dag = airflow.api.call("GET", f"/api/v2/dags/{schedule.dag_id}/details")
    assert "15 */2 * * *" in dag["timetable_summary"] and dag["is_paused"] is False
    assert dag["params"]["word"]["value"] == "scheduled"
    pipeline_dag = airflow.api.call("GET", f"/api/v2/dags/{published.dag_id}/details")
    assert pipeline_dag["params"]["word"]["value"] == "default", "REST runs keep the defaults"
    assert [s.id for s in Schedule.list(ws)] == [schedule.id]

    Schedule.get(ws, schedule.id).disable()
    assert airflow.api.get_dag(schedule.dag_id)["is_paused"] is True
    assert Schedule.list(ws) == []
    Schedule.get(ws, schedule.id).enable()
    assert airflow.api.get_dag(schedule.dag_id)["is_paused"] is False

    with pytest.raises(UserErrorException, match="unknown parameter"):
        Schedule.create(
            ws,
            "bad",
            pipeline_id=published.id,
            recurrence=recurrence,
            pipeline_parameters={"wrod": "x"},
        )

    # The schedule notebook: change the recurrence, then schedule an endpoint's default.
    fetched_schedule = Schedule.get(ws, schedule.id)
    fetched_schedule.update(
        recurrence=ScheduleRecurrence(frequency="Day", interval=1, hours=[22], minutes=[30])
    )
    assert (fetched_schedule.recurrence.frequency, fetched_schedule.recurrence.hours) == (
        "Day",
        [22],
    )
    dag = airflow.api.call("GET", f"/api/v2/dags/{schedule.dag_id}/details")
    assert "30 22 * * *" in dag["timetable_summary"]
    assert dag["params"]["word"]["value"] == "scheduled"
    # A schedule in a time zone: its DAG runs the cron there (9:00 in Los Angeles).
    in_la = Schedule.create(
        ws,
        name="nine-in-los-angeles",
        pipeline_id=published.id,
        experiment_name="ticks",
        recurrence=ScheduleRecurrence(
            frequency="Day",
            interval=1,
            hours=[9],
            minutes=[0],
            start_time=datetime(2026, 1, 1),
            time_zone=TimeZone.PacificStandardTime,
        ),
    )
    assert Schedule.get(ws, in_la.id).recurrence.time_zone is TimeZone.PacificStandardTime
    dag = airflow.api.call("GET", f"/api/v2/dags/{in_la.dag_id}/details")
    # (The REST "timezone" field is the server's default zone for every DAG; the next run's
    # time is what shows the zone the cron runs in.)
    assert "0 9 * * *" in dag["timetable_summary"]
    next_run = datetime.fromisoformat(dag["next_dagrun_run_after"].replace("Z", "+00:00"))
    local = next_run.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (local.hour, local.minute) == (9, 0), next_run
    in_la.disable()

    endpoint = PipelineEndpoint.publish(ws, "ticker_endpoint", "ticks", published)
    by_endpoint = Schedule.create_for_pipeline_endpoint(
        ws, "endpoint-hourly", endpoint.id, "ticks", recurrence=recurrence
    )
    assert by_endpoint.pipeline_id == published.id
    found = Schedule.get_schedules_for_pipeline_endpoint_id(ws, pipeline_endpoint_id=endpoint.id)
    assert [s.id for s in found] == [by_endpoint.id]


SCORE = """import os, sys
from mlpipelines import Run
path = sys.argv[1]
Run.get_context().log("rows", len(open(path).read().splitlines()) if os.path.isfile(path) else -1)
"""


def test_a_schedule_watching_a_datastore_path_runs_once_per_new_file(
    airflow, tmp_path, monkeypatch
):
    # Test-only: poll every 2 s (users poll every polling_interval minutes).
    monkeypatch.setenv(TEST_POLL_SECONDS_ENV, "2")
    ws = Workspace.from_config(airflow.home / "config.json")
    inbox = airflow.blobstore / "watched" / "file" / "path"
    inbox.mkdir(parents=True)
    (inbox / "before.csv").write_text("there before the schedule\n")
    (tmp_path / "score.py").write_text(SCORE)
    datastore = Datastore(workspace=ws, name="workspaceblobstore")
    input_data = PipelineParameter(
        "input_data", DataPath(datastore, "watched/file/path/before.csv")
    )
    bound = (input_data, DataPathComputeBinding(mode="mount"))
    step = PythonScriptStep(
        name="score",
        script_name="score.py",
        source_directory=str(tmp_path),
        arguments=[bound],
        inputs=[bound],
        allow_reuse=False,
    )
    published = Pipeline(ws, [step]).publish("watched_scoring")
    schedule = Schedule.create(
        workspace=ws,
        name="on-new-data",
        pipeline_id=published.id,
        experiment_name="Schedule-run-sample",
        datastore=datastore,
        path_on_datastore="watched/file/path",
        polling_interval=5,
        data_path_parameter_name="input_data",
    )
    assert schedule.recurrence is None and schedule.polling_interval == 5
    (inbox / "new.csv").write_text("a\nb\nc\n")

    deadline = time.monotonic() + 120
    while not (runs := airflow.api.list_runs(published.dag_id)):
        assert time.monotonic() < deadline, "the new file started no run"
        time.sleep(1)
    (run,) = runs
    assert run["conf"]["input_data"] == {
        "datastore": "workspaceblobstore",
        "path": "watched/file/path/new.csv",
    }
    airflow.api.wait_for_run(published.dag_id, run["dag_run_id"], timeout=120)
    assert airflow.api.xcom(published.dag_id, run["dag_run_id"], "score", "metrics") == {"rows": 3}
    runs = list(ws.experiments["Schedule-run-sample"].get_runs())
    assert [r.id for r in runs] == [run["dag_run_id"]]

    schedule.disable()
    assert airflow.api.get_dag(schedule.dag_id)["is_paused"] is True
    assert len(airflow.api.list_runs(published.dag_id)) == 1, "before.csv started no run"
