"""Starts a pipeline run for one new or changed file a datastore watch found, with the
file as the pipeline's DataPath parameter (Azure ML's ``data_path_parameter_name``)."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator


class WatchedRunOperator(TriggerDagRunOperator):
    """Trigger ``trigger_dag_id`` with ``base_conf`` plus, when ``data_path_parameter_name``
    is set, ``{name: {"datastore": datastore_name, "path": changed_path}}``.

    The conf is set at run time from plain values, never rendered as a template: a file
    name is data, not Jinja.

    :param changed_path: the file's datastore path (mapped over the watch's XCom).
    """

    def __init__(
        self,
        *,
        changed_path: str,
        base_conf: dict[str, Any],
        datastore_name: str,
        data_path_parameter_name: str | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("logical_date", None)
        super().__init__(conf=None, **kwargs)
        self.changed_path = changed_path
        self.base_conf = base_conf
        self.datastore_name = datastore_name
        self.data_path_parameter_name = data_path_parameter_name

    def execute(self, context: Any) -> Any:
        conf = dict(self.base_conf)
        conf["mlpipelines_changed_path"] = self.changed_path
        if self.data_path_parameter_name:
            conf[self.data_path_parameter_name] = {
                "datastore": self.datastore_name,
                "path": self.changed_path,
            }
        self.conf = conf
        return super().execute(context)
