"""Registers the REST app with Airflow's API server (entry point ``airflow.plugins``)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from mlpipelines.plugin.rest_app import URL_PREFIX, app


class MlPipelinesPlugin(AirflowPlugin):
    """Adds ``/mlpipelines/...``: POST to a published pipeline's or endpoint's URL runs it."""

    name = "mlpipelines"
    fastapi_apps = [
        {"app": app, "url_prefix": URL_PREFIX, "name": "mlpipelines: Azure ML style REST"}
    ]
