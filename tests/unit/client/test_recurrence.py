"""ScheduleRecurrence as the cron expression Airflow runs a schedule's DAG by."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.pipeline.core.schedule import ScheduleRecurrence
from mlpipelines.errors import UserErrorException


@pytest.mark.parametrize(
    ("kwargs", "cron"),
    [
        ({"frequency": "Minute", "interval": 1}, "* * * * *"),
        ({"frequency": "Minute", "interval": 15}, "*/15 * * * *"),
        ({"frequency": "Hour", "interval": 2, "minutes": [15]}, "15 */2 * * *"),
        ({"frequency": "Day", "interval": 1, "hours": [6, 18], "minutes": [30]}, "30 6,18 * * *"),
        ({"frequency": "Day", "interval": 3}, "0 0 */3 * *"),
        (
            {
                "frequency": "Week",
                "interval": 1,
                "week_days": ["Monday", "Friday"],
                "time_of_day": "07:45",
            },
            "45 7 * * 1,5",
        ),
        ({"frequency": "Month", "interval": 1, "hours": [2]}, "0 2 1 * *"),
    ],
)
def test_recurrences_become_cron(kwargs, cron):
    assert ScheduleRecurrence(**kwargs).cron() == cron


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"frequency": "Fortnight", "interval": 1}, "frequency must be one of"),
        ({"frequency": "Day", "interval": 0}, "interval must be a positive int"),
        ({"frequency": "Day", "interval": 1, "hours": [24]}, "hours must be ints from 0 to 23"),
        ({"frequency": "Week", "interval": 1, "week_days": ["Funday"]}, "unknown week days"),
        ({"frequency": "Week", "interval": 2}, "every week"),
    ],
)
def test_bad_recurrences_are_refused(kwargs, says):
    with pytest.raises(UserErrorException, match=says):
        ScheduleRecurrence(**kwargs).cron()
