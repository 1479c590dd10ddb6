"""``ScheduleRecurrence``: the old SDK's recurrence, as the cron expression Airflow runs it by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlpipelines.client.time_zones import TimeZone, iana_zone
from mlpipelines.errors import UserErrorException
from mlpipelines.records.numbers import is_whole

WEEK_DAYS = {
    "Sunday": 0,
    "Monday": 1,
    "Tuesday": 2,
    "Wednesday": 3,
    "Thursday": 4,
    "Friday": 5,
    "Saturday": 6,
}
FREQUENCIES = ("Minute", "Hour", "Day", "Week", "Month")


@dataclass
class ScheduleRecurrence:
    """How often a schedule runs: every ``interval`` ``frequency`` units, at ``hours`` and
    ``minutes`` (and ``week_days`` for weekly ones), from ``start_time``; all three read in
    ``time_zone`` (UTC when None), daylight saving included."""

    frequency: str
    interval: int
    start_time: datetime | str | None = None
    time_zone: TimeZone | str | None = None
    hours: list[int] | None = None
    minutes: list[int] | None = None
    week_days: list[str] | None = None
    time_of_day: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise UserErrorException(
                f"frequency must be one of {', '.join(FREQUENCIES)}, not {self.frequency!r}"
            )
        if not is_whole(self.interval, 1):
            raise UserErrorException(f"interval must be a positive int, not {self.interval!r}")
        for what, values, top in (("hours", self.hours, 23), ("minutes", self.minutes, 59)):
            if values and not all(isinstance(v, int) and 0 <= v <= top for v in values):
                raise UserErrorException(f"{what} must be ints from 0 to {top}, not {values!r}")
        unknown = [d for d in self.week_days or [] if d not in WEEK_DAYS]
        if unknown:
            raise UserErrorException(f"unknown week days {unknown}; use {', '.join(WEEK_DAYS)}")
        if self.frequency == "Week" and self.interval != 1:
            raise UserErrorException("a weekly schedule runs every week (interval=1) on week_days")
        self.zone()

    def zone(self) -> str:
        """The IANA zone the schedule's times are read in."""
        return "UTC" if self.time_zone is None else iana_zone(self.time_zone)

    def cron(self) -> str:
        """The cron expression (minute hour day-of-month month day-of-week)."""
        self.validate()
        n = self.interval
        minute, hour = self._at()
        if self.frequency == "Minute":
            return f"*/{n} * * * *" if n > 1 else "* * * * *"
        if self.frequency == "Hour":
            return f"{minute} */{n} * * *" if n > 1 else f"{minute} * * * *"
        if self.frequency == "Day":
            return f"{minute} {hour} */{n} * *" if n > 1 else f"{minute} {hour} * * *"
        if self.frequency == "Week":
            days = ",".join(str(WEEK_DAYS[d]) for d in self.week_days or ["Sunday"])
            return f"{minute} {hour} * * {days}"
        return f"{minute} {hour} 1 */{n} *" if n > 1 else f"{minute} {hour} 1 * *"

    def _at(self) -> tuple[str, str]:
        if self.time_of_day and not (self.hours or self.minutes):
            hh, _, mm = self.time_of_day.partition(":")
            return str(int(mm or 0)), str(int(hh))
        minutes = ",".join(str(m) for m in self.minutes or [0])
        hours = ",".join(str(h) for h in self.hours or [0])
        return minutes, hours
