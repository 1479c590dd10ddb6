"""Watch a DatabricksStep's run from the triggerer, keeping its reuse marker alive meanwhile.

The provider's ``DatabricksExecutionTrigger`` polls the same ``runs/get``; this one exists
because a step also holds its reuse key's in-progress marker while the run goes on (another
run of the same key waits on it) and has its own ``timeout_seconds`` to enforce: the marker
stays fresh exactly as long as something watches the run, and goes stale once nothing does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from airflow.triggers.base import BaseTrigger, TriggerEvent

from mlpipelines.records import DatastoreSpec
from mlpipelines.runtime.heartbeat import HEARTBEAT_SECONDS

_CANCEL = ("POST", "2.2/jobs/runs/cancel")


class HeldKey(TypedDict):
    """The reuse marker a deferred step holds: its datastore, key, and the task holding it."""

    store: dict[str, Any]
    key: str
    dag_id: str
    run_id: str
    task_id: str


class DatabricksRunEnded(TypedDict):
    """The trigger's one event: how the run ended, or why it could not be followed."""

    run_id: int
    life_cycle_state: str
    result_state: str
    state_message: str
    timed_out: bool
    failure: str | None
    resume: dict[str, Any]


class DatabricksTriggerArgs(TypedDict):
    """What ``serialize()`` stores for the triggerer (plain JSON values)."""

    run_id: int
    databricks_conn_id: str
    polling_period_seconds: float
    deadline: float | None
    held_key: HeldKey | None
    resume: dict[str, Any]
    retry_limit: int


class DatabricksStepRunTrigger(BaseTrigger):
    """Poll one Databricks run until it ends, or cancel it at ``deadline`` (epoch seconds).

    While it waits, the step's ``held_key`` marker is refreshed every few seconds in the
    triggerer's name. A user killing the deferred task cancels the run and drops the marker.
    ``resume`` (what the task needs to finish the step) comes back in the event: Airflow
    keeps a deferral's kwargs beside the event, but ``dag.test()`` drops them.
    """

    def __init__(
        self,
        *,
        run_id: int,
        databricks_conn_id: str,
        polling_period_seconds: float = 30,
        deadline: float | None = None,
        held_key: HeldKey | None = None,
        resume: dict[str, Any] | None = None,
        retry_limit: int = 3,
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.databricks_conn_id = databricks_conn_id
        self.polling_period_seconds = polling_period_seconds
        self.deadline = deadline
        self.held_key = held_key
        self.resume = resume or {}
        self.retry_limit = retry_limit

    def serialize(self) -> tuple[str, dict[str, Any]]:
        args: DatabricksTriggerArgs = {
            "run_id": self.run_id,
            "databricks_conn_id": self.databricks_conn_id,
            "polling_period_seconds": self.polling_period_seconds,
            "deadline": self.deadline,
            "held_key": self.held_key,
            "resume": self.resume,
            "retry_limit": self.retry_limit,
        }
        return f"{type(self).__module__}.{type(self).__qualname__}", dict(args)

    def _hook(self) -> Any:
        from airflow.providers.databricks.hooks.databricks import DatabricksHook

        return DatabricksHook(
            self.databricks_conn_id, retry_limit=self.retry_limit, caller=type(self).__name__
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async with self._hook() as hook:
            first_look = True
            while True:
                try:
                    await self._beat()
                    if first_look:
                        # One polling period before the first look: a run that ends at once
                        # would resume the task seconds after it deferred, which Airflow 3.3
                        # can fail (see triggers/reuse.py).
                        first_look = False
                        await self._sleep_until_next_poll()
                    state = await hook.a_get_run_state(self.run_id)
                    if state.is_terminal:
                        yield TriggerEvent(self._event(state, timed_out=False))
                        return
                    if self.deadline is not None and time.time() >= self.deadline:
                        self.log.info("run %s outlasted its timeout: cancelling", self.run_id)
                        await hook._a_do_api_call(_CANCEL, {"run_id": self.run_id})
                        yield TriggerEvent(self._event(state, timed_out=True))
                        return
                    await self._sleep_until_next_poll()
                except Exception as exc:
                    # The task resumes to clean up (outputs, marker); the run must not outlive it.
                    self.log.warning("run %s could not be followed: %s", self.run_id, exc)
                    await self._cancel_quietly(hook)
                    yield TriggerEvent(self._failure(f"{type(exc).__name__}: {exc}"))
                    return

    async def _sleep_until_next_poll(self) -> None:
        """Sleep till the next poll, refreshing the marker in between when polls are rare."""
        wake = time.monotonic() + self.polling_period_seconds
        while (left := wake - time.monotonic()) > 0:
            await asyncio.sleep(min(left, HEARTBEAT_SECONDS))
            if wake - time.monotonic() > 0:
                await self._beat()

    async def _beat(self) -> None:
        held = self.held_key
        if held is None:
            return
        from mlpipelines.reuse.store import Holder, ReuseStore

        me = Holder(held["dag_id"], held["run_id"], held["task_id"])
        await asyncio.to_thread(
            ReuseStore(DatastoreSpec.from_json(held["store"])).heartbeat, held["key"], me
        )

    async def on_kill(self) -> None:
        """The user killed the deferred task: cancel the run, remove what it had written to
        its outputs' places, and free the key at once."""
        async with self._hook() as hook:
            await self._cancel_quietly(hook)
        await asyncio.to_thread(self._discard_outputs)
        held = self.held_key
        if held is not None:
            from mlpipelines.reuse.store import Holder, ReuseStore

            me = Holder(held["dag_id"], held["run_id"], held["task_id"])
            await asyncio.to_thread(
                ReuseStore(DatastoreSpec.from_json(held["store"])).release, held["key"], me
            )

    def _discard_outputs(self) -> None:
        work = self.resume.get("work")
        if not work:
            return
        from mlpipelines.runtime.databricks import SubmittedRun
        from mlpipelines.runtime.outputs import discard_outputs

        try:
            discard_outputs(SubmittedRun.from_json(work).pending)
        except Exception as exc:  # a store that is down: the next try empties them first
            self.log.warning("outputs of Databricks run %s were left: %s", self.run_id, exc)

    async def _cancel_quietly(self, hook: Any) -> None:
        try:
            await hook._a_do_api_call(_CANCEL, {"run_id": self.run_id})
        except Exception as exc:
            self.log.warning("could not cancel Databricks run %s: %s", self.run_id, exc)

    def _event(self, state: Any, timed_out: bool) -> DatabricksRunEnded:
        return {
            "run_id": self.run_id,
            "life_cycle_state": state.life_cycle_state,
            "result_state": state.result_state,
            "state_message": state.state_message,
            "timed_out": timed_out,
            "failure": None,
            "resume": self.resume,
        }

    def _failure(self, message: str) -> DatabricksRunEnded:
        return {
            "run_id": self.run_id,
            "life_cycle_state": "",
            "result_state": "",
            "state_message": "",
            "timed_out": False,
            "failure": message,
            "resume": self.resume,
        }
