"""A recurrence's ``time_zone``: the old SDK's Windows names mapped to IANA zones, the schedule's
start and hours read in that zone, and the DAG's cron run there (daylight saving included)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from airflow.serialization.serialized_objects import coerce_to_core_timetable
from airflow.timetables.base import TimeRestriction

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, ScheduleRecurrence, TimeZone
from mlpipelines.azureml.pipeline.core.schedule import TimeZone as ScheduleTimeZone
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.client.schedule_specs import local_start, recurrence_from_json, recurrence_to_json
from mlpipelines.client.time_zones import IANA_ZONES, iana_zone
from mlpipelines.errors import UserErrorException
from mlpipelines.translate.spec import plan_to_spec
from mlpipelines.translate.spec_loader import render_spec


def test_every_time_zone_names_a_zone_this_machine_knows():
    assert ScheduleTimeZone is TimeZone
    assert set(IANA_ZONES) == {member.value for member in TimeZone}
    for member in TimeZone:
        assert ZoneInfo(iana_zone(member)).key == IANA_ZONES[member.value]
    assert iana_zone(TimeZone.PacificStandardTime) == "America/Los_Angeles"
    assert iana_zone("W. Europe Standard Time") == "Europe/Berlin"
    assert iana_zone("Europe/Paris") == "Europe/Paris", "an IANA name is taken as it is"


@pytest.mark.parametrize("bad", ["Pacific Time", "America", "../etc/passwd", "", 8])
def test_an_unknown_time_zone_is_refused_when_the_schedule_is_made(bad):
    recurrence = ScheduleRecurrence(frequency="Day", interval=1, hours=[9], time_zone=bad)
    with pytest.raises(UserErrorException, match="time_zone"):
        recurrence.cron()


def test_the_time_zone_survives_the_stored_record():
    recurrence = ScheduleRecurrence(
        frequency="Day",
        interval=1,
        hours=[9],
        start_time=datetime(2026, 3, 1, 8, 30),
        time_zone=TimeZone.PacificStandardTime,
    )
    back = recurrence_from_json(recurrence_to_json(recurrence))
    assert back is not None and back.time_zone is TimeZone.PacificStandardTime
    assert back.start_time == "2026-03-01T08:30:00"
    iana = recurrence_from_json(recurrence_to_json(ScheduleRecurrence("Hour", 1, time_zone="UTC")))
    assert iana is not None and iana.time_zone is TimeZone.UTC


def test_the_start_is_read_in_the_zone():
    naive = ScheduleRecurrence(
        "Day", 1, start_time=datetime(2026, 7, 1, 16), time_zone=TimeZone.PacificStandardTime
    )
    assert local_start(naive) == "2026-07-01T16:00:00", "a naive start is wall-clock time there"
    aware = ScheduleRecurrence(
        "Day",
        1,
        start_time=datetime(2026, 7, 1, 16, tzinfo=timezone.utc),
        time_zone=TimeZone.PacificStandardTime,
    )
    assert local_start(aware) == "2026-07-01T09:00:00", "an aware start is converted (PDT)"
    utc = ScheduleRecurrence("Day", 1, start_time=datetime(2026, 7, 1, 16))
    assert local_start(utc) == "2026-07-01T16:00:00"


def _dag(tmp_path, recurrence: ScheduleRecurrence):
    ws = Workspace(airflow_url="http://127.0.0.1:9", home=str(tmp_path / "home"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "tick.py").write_text("print('tick')\n")
    step = PythonScriptStep(
        name="tick", script_name="tick.py", source_directory=str(tmp_path / "src")
    )
    spec = plan_to_spec(Pipeline(ws, [step]).plan("tick__v1"), "tick__v1")
    spec["dag_settings"] = {
        "schedule": recurrence.cron(),
        "start_date": local_start(recurrence),
        "timezone": recurrence.zone(),
        "catchup": False,
    }
    return render_spec(spec)


def _runs_after(dag, count: int) -> list[datetime]:
    restriction = TimeRestriction(earliest=dag.start_date, latest=None, catchup=True)
    timetable = coerce_to_core_timetable(dag.timetable)  # what the scheduler runs
    found, last = [], None
    for _ in range(count):
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        found.append(info.run_after)
        last = info.data_interval
    return found


def test_the_dag_runs_at_the_hour_in_its_zone_across_daylight_saving(tmp_path):
    # 9:00 in Los Angeles every day from 6 March 2026; clocks go forward on 8 March.
    recurrence = ScheduleRecurrence(
        frequency="Day",
        interval=1,
        hours=[9],
        minutes=[0],
        start_time=datetime(2026, 3, 6),
        time_zone=TimeZone.PacificStandardTime,
    )
    dag = _dag(tmp_path, recurrence)
    assert dag.timezone.name == "America/Los_Angeles"
    runs = [when.astimezone(timezone.utc) for when in _runs_after(dag, 4)]
    assert [(r.day, r.hour) for r in runs] == [(6, 17), (7, 17), (8, 16), (9, 16)]


def test_a_schedule_with_no_time_zone_runs_in_utc_as_before(tmp_path):
    recurrence = ScheduleRecurrence(
        frequency="Day", interval=1, hours=[9], start_time=datetime(2026, 3, 6)
    )
    dag = _dag(tmp_path, recurrence)
    runs = [when.astimezone(timezone.utc) for when in _runs_after(dag, 3)]
    assert [(r.day, r.hour) for r in runs] == [(6, 9), (7, 9), (8, 9)]
