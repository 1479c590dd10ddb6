"""Where the pipeline view lives: its pages and JSON under the plugin's app, and its tabs in
the Airflow UI (``external_views`` with these ``url_route``s, shown at
``.../plugin/<url_route>`` of a DAG's, a run's or a task instance's page)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

# The plugin's FastAPI app is mounted here (plugin/rest_app.py says the same).
APP_PREFIX = "/mlpipelines"
VIEW_PREFIX = "/view"
RUN_TAB = "pipeline-run"
STEP_TAB = "pipeline-step"
PIPELINE_TAB = "pipeline-metrics"


def ui_base_path() -> str:
    """The path the Airflow UI is served under (``[api] base_url``'s path; "" at the root),
    so links work behind a proxy that serves Airflow under a prefix."""
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="") or ""
    return urlsplit(base).path.rstrip("/")


def view_page(page: str, ui_base: str = "") -> str:
    """A page of the view (``run``, ``step``, ``pipeline``) under the plugin's app."""
    return f"{ui_base}{APP_PREFIX}{VIEW_PREFIX}/{page}"


def run_view_url(ui_base: str, dag_id: str, run_id: str) -> str:
    """The run's pipeline-view tab in the Airflow UI."""
    return f"{ui_base}/dags/{_q(dag_id)}/runs/{_q(run_id)}/plugin/{RUN_TAB}"


def pipeline_view_url(ui_base: str, dag_id: str) -> str:
    """The DAG's metrics tab in the Airflow UI."""
    return f"{ui_base}/dags/{_q(dag_id)}/plugin/{PIPELINE_TAB}"


def _q(value: str) -> str:
    return quote(value, safe="")
