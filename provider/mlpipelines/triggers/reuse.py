"""Waiting for another run that computes the same reuse key.

A step (or the reuse sensor) that meets such a run first waits in its own process, for up
to ``WAIT_IN_PROCESS_SECONDS``: the other run is computing the key right now, and most steps
take seconds. Only a longer wait defers here, to the triggerer, holding no worker slot.

The task must not end and start again quickly. Airflow 3.3's executor knows a task by a key
that stays the same across a deferral (or a reschedule). If the scheduler reads the report
of the first exit late, after the same task has started again, it takes the running task
for one that ended without saying so and fails it ("finished with state success, but the
task instance's state attribute is running"; see apache/airflow#71172). A loaded CI machine
read such a report 5 s late. So the trigger fires no sooner than ``DEFER_AT_LEAST_SECONDS``
after the deferral, well beyond any lag seen, and short waits never leave the process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from airflow.triggers.base import BaseTrigger, TriggerEvent

from mlpipelines.records import DatastoreSpec

POLL_SECONDS = 1.0
WAIT_IN_PROCESS_SECONDS = 30.0
IN_PROCESS_POLL_SECONDS = 0.5
DEFER_AT_LEAST_SECONDS = 30.0


class HeldKeyWait(TypedDict):
    """A key another run holds: the reuse store (a datastore spec) and the key."""

    store: dict[str, Any]
    key: str


class HolderGoneTrigger(BaseTrigger):
    """Fire once none of ``held`` has a live holder (it finished, failed or died).

    :param held: the keys to watch, each with the datastore its markers live on.
    :param poll_seconds: how often the markers are read.
    :param not_before: the earliest time (epoch seconds) to fire; see the module's docstring.
    """

    def __init__(
        self,
        *,
        held: list[HeldKeyWait],
        poll_seconds: float = POLL_SECONDS,
        not_before: float | None = None,
    ) -> None:
        super().__init__()
        self.held = held
        self.poll_seconds = poll_seconds
        self.not_before = not_before

    @classmethod
    def from_now(cls, held: list[HeldKeyWait], poll_seconds: float = POLL_SECONDS) -> Any:
        """The trigger a task defers to now: it fires ``DEFER_AT_LEAST_SECONDS`` from now at
        the earliest."""
        return cls(
            held=held, poll_seconds=poll_seconds, not_before=time.time() + DEFER_AT_LEAST_SECONDS
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"held": self.held, "poll_seconds": self.poll_seconds, "not_before": self.not_before},
        )

    def still_held(self) -> list[str]:
        """The watched keys some live run still holds."""
        from mlpipelines.reuse.store import ReuseStore

        return [
            h["key"]
            for h in self.held
            if ReuseStore(DatastoreSpec.from_json(h["store"])).holder_of(h["key"])
        ]

    async def run(self) -> AsyncIterator[TriggerEvent]:
        if self.not_before is not None:
            await asyncio.sleep(max(0.0, self.not_before - time.time()))
        while await asyncio.to_thread(self.still_held):
            await asyncio.sleep(self.poll_seconds)
        yield TriggerEvent({"released": [h["key"] for h in self.held]})


def wait_in_process(held: list[HeldKeyWait], deadline: float) -> bool:
    """Poll the keys' markers from this process until none is held (True) or ``deadline``
    (``time.monotonic()``) passes (False)."""
    watcher = HolderGoneTrigger(held=held)
    while watcher.still_held():
        if time.monotonic() >= deadline:
            return False
        time.sleep(IN_PROCESS_POLL_SECONDS)
    return True
