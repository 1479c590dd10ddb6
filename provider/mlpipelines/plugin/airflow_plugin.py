"""Registers the REST app with Airflow's API server (entry point ``airflow.plugins``)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from mlpipelines.operators.databricks import DatabricksRunLink
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink
from mlpipelines.plugin.rest_app import URL_PREFIX, app


class MlPipelinesPlugin(AirflowPlugin):
    """Adds ``/mlpipelines/...``: POST to a published pipeline's or endpoint's URL runs it;
    and the step tasks' extra links (outputs, artifacts, the Databricks run)."""

    name = "mlpipelines"
    fastapi_apps = [
        {"app": app, "url_prefix": URL_PREFIX, "name": "mlpipelines: Azure ML style REST"}
    ]
    operator_extra_links = [StepOutputsLink(), StepArtifactsLink(), DatabricksRunLink()]
