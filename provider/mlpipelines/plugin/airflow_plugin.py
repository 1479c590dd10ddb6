"""Registers the plugin with Airflow (entry point ``airflow.plugins``): the REST app, the
pipeline view's tabs on DAG, run and task instance pages, and the listener that notes
reused steps when a run ends."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from mlpipelines.operators.databricks import DatabricksRunLink
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink
from mlpipelines.plugin import reuse_notes
from mlpipelines.plugin.rest_app import URL_PREFIX, app
from mlpipelines.plugin.view_urls import (
    PIPELINE_TAB,
    RUN_TAB,
    STEP_TAB,
    ui_base_path,
    view_page,
)


def _tabs(base: str) -> list[dict[str, str]]:
    """The view's tabs: Airflow puts each one's ``href`` (ids filled in) in an iframe."""
    icon = f"{view_page('static', base)}/icon.svg"
    return [
        {
            "name": "Pipeline",
            "href": f"{view_page('run', base)}?dag_id={{DAG_ID}}&run_id={{RUN_ID}}",
            "destination": "dag_run",
            "url_route": RUN_TAB,
            "icon": icon,
        },
        {
            "name": "Pipeline step",
            "href": f"{view_page('step', base)}?dag_id={{DAG_ID}}&run_id={{RUN_ID}}"
            "&task_id={TASK_ID}",
            "destination": "task_instance",
            "url_route": STEP_TAB,
            "icon": icon,
        },
        {
            "name": "Pipeline metrics",
            "href": f"{view_page('pipeline', base)}?dag_id={{DAG_ID}}",
            "destination": "dag",
            "url_route": PIPELINE_TAB,
            "icon": icon,
        },
    ]


class MlPipelinesPlugin(AirflowPlugin):
    """Adds ``/mlpipelines/...``: POST to a published pipeline's or endpoint's URL runs it;
    and the step tasks' extra links (outputs, artifacts, the Databricks run);
    ``/mlpipelines/view/...``: the pipeline view Airflow's UI shows in its tabs."""

    name = "mlpipelines"
    fastapi_apps = [
        {"app": app, "url_prefix": URL_PREFIX, "name": "mlpipelines: Azure ML style REST"}
    ]
    operator_extra_links = [StepOutputsLink(), StepArtifactsLink(), DatabricksRunLink()]
    external_views = _tabs(ui_base_path())
    listeners = [reuse_notes]
