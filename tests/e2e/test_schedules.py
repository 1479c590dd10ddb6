"""Schedules of published pipelines: a DAG of their own on the recurrence's cron, with the
schedule's parameter values; disable pauses it, enable restores it."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineParameter
from mlpipelines.azureml.pipeline.core.schedule import Schedule, ScheduleRecurrence
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
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
    with pytest.raises(UserErrorException, match="watch a datastore"):
        Schedule.create(ws, "watch", pipeline_id=published.id, datastore=ws.get_default_datastore())
