"""The datastore watch sensor: polls a folder on a datastore and hands on the files that are
new or changed since its last look, as an Azure ML datastore-triggered schedule does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

WATCH_TASK_ID = "watch"


class DatastoreWatchSensor(BaseSensorOperator):
    """Succeed with the list of new or changed files under ``path_on_datastore`` (their
    datastore paths, in XCom) once there are some; poke every ``poke_interval`` seconds in
    reschedule mode, so no worker slot is held between polls.

    :param watch_id: the schedule's id; its states are kept under ``.mlpipelines/watch/``.
    :param datastore: the watched datastore's spec (``DatastoreSpec.to_dict()``).
    :param path_on_datastore: the folder watched (with everything below it).
    :param state_store: the spec of the datastore that keeps the watch's states.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#e8f0f8"

    def __init__(
        self,
        *,
        watch_id: str,
        datastore: dict[str, Any],
        path_on_datastore: str,
        state_store: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("timeout", timedelta(days=1).total_seconds())
        # A timed-out watch is skipped, not failed: the next (continuous) run watches on.
        kwargs.setdefault("soft_fail", True)
        super().__init__(**kwargs)
        self.watch_id = watch_id
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore
        self.state_store = state_store

    def poke(self, context: Any) -> PokeReturnValue:
        from mlpipelines.records import DatastoreSpec  # run time only
        from mlpipelines.storage.datastores import location_of
        from mlpipelines.storage.path_watch import PathWatch, folder_state

        watched = location_of(DatastoreSpec.from_json(self.datastore))
        state = folder_state(watched, self.path_on_datastore)
        watch = PathWatch(location_of(DatastoreSpec.from_json(self.state_store)), self.watch_id)
        changed = watch.claim_changes(state)
        if changed:
            self.log.info("new or changed under %s: %s", self.path_on_datastore, changed)
        return PokeReturnValue(is_done=bool(changed), xcom_value=changed or None)
