"""Wait in the triggerer until no live run holds some reuse keys.

A step (or the reuse sensor) that meets another run computing the same key defers here,
holding no worker slot, then resumes and reuses that run's result (or computes the key
itself when that run failed). It defers rather than raising a reschedule: Airflow 3.3 fails
a rescheduled task when the executor's report of its previous exit reaches the scheduler
after the task is already scheduled again (apache/airflow#71172), which a loaded machine
makes likely; a deferral is resumed through a path the scheduler guards against that race.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from airflow.triggers.base import BaseTrigger, TriggerEvent

POLL_SECONDS = 1.0


class HeldKeyWait(TypedDict):
    """A key another run holds: the reuse store (a datastore spec) and the key."""

    store: dict[str, Any]
    key: str


class HolderGoneTrigger(BaseTrigger):
    """Fire once none of ``held`` has a live holder (it finished, failed or died).

    :param held: the keys to watch, each with the datastore its markers live on.
    :param poll_seconds: how often the markers are read.
    """

    def __init__(self, *, held: list[HeldKeyWait], poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.held = held
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"held": self.held, "poll_seconds": self.poll_seconds},
        )

    def still_held(self) -> list[str]:
        """The watched keys some live run still holds."""
        from mlpipelines.reuse.store import ReuseStore

        return [h["key"] for h in self.held if ReuseStore(h["store"]).holder_of(h["key"])]

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while await asyncio.to_thread(self.still_held):
            await asyncio.sleep(self.poll_seconds)
        yield TriggerEvent({"released": [h["key"] for h in self.held]})
