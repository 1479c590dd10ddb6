"""Run requests sure to fail, or too big, are refused by the real API server before any run
exists, naming the parameter or the limit; Airflow's own trigger refuses what our Params can
express the same way; bad tokens are 401 and malformed JSON is 400, as the docs say."""

from __future__ import annotations

import httpx
import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.client.airflow_api import AirflowApiError

pytestmark = pytest.mark.e2e

SCRIPT = "import sys\nprint(sys.argv[1:])\n"


@pytest.fixture(scope="module")
def published(airflow, tmp_path_factory):
    ws = Workspace.from_config(airflow.home / "config.json")
    folder = tmp_path_factory.mktemp("refusals")
    (folder / "echo.py").write_text(SCRIPT)
    data = PipelineParameter("data", DataPath(ws.get_default_datastore(), "refusals/in"))
    bound = (data, DataPathComputeBinding(mode="mount"))
    step = PythonScriptStep(
        name="echo",
        script_name="echo.py",
        source_directory=str(folder),
        arguments=[
            "--times", PipelineParameter("times", default_value=1),
            "--word", PipelineParameter("word", default_value="w"),
            bound,
        ],
        inputs=[bound],
    )  # fmt: skip
    (airflow.blobstore / "refusals" / "in").mkdir(parents=True, exist_ok=True)
    published = Pipeline(ws, [step]).publish("rest_refusals")
    airflow.api.wait_for_dag(published.dag_id, timeout=120)
    return published


def _post(airflow, url, body=None, token=None, content=None):
    headers = {"Authorization": f"Bearer {token or airflow.api.token()}"}
    if content is not None:
        headers["Content-Type"] = "application/json"
        return httpx.post(url, content=content, headers=headers, timeout=120)
    return httpx.post(url, json=body, headers=headers, timeout=120)


REFUSED = [
    ({"ParameterAssignments": {"times": 2**64}}, 400, "'times' is out of range"),
    ({"ParameterAssignments": {"word": "a\x00b"}}, 400, "'word' holds a NUL"),
    ({"ParameterAssignments": {"word": "w" * 100_000}}, 400, "'word' is 100,000 characters"),
    ({"ParameterAssignments": {"word": "w" * 5_000_000}}, 413, "over 1,048,576 bytes"),
    (
        {"ParameterAssignments": {"data": {"datastore": "workspaceblobstore", "path": "../.."}}},
        400,
        "parameter 'data': '../..' leaves the datastore",
    ),
    (
        {"DataPathAssignments": {"data": {"DataStoreName": "workspaceblobstore",
                                          "RelativePath": 7}}},
        400,
        "RelativePath must be a string",
    ),
    (
        {"DataPathAssignments": {"data": {"DataStoreName": "nowhere_store",
                                          "RelativePath": "a"}}},
        400,
        "no datastore named 'nowhere_store'",
    ),
    (
        {"DataPathAssignments": {"data": {"DataStoreName": "bad/name", "RelativePath": "a"}}},
        400,
        "is not a datastore name",
    ),
    (
        {"DataPathAssignments": {"data": {"DataStoreName": "workspaceblobstore",
                                          "RelativePath": "/etc"}}},
        400,
        "must be relative",
    ),
    ({"Description": "d" * 5_000_000}, 413, "the limit for a run request"),
    ({"Description": "d" * 6_000}, 400, "Description must be at most 5,000"),
    ({"Tags": {str(i): "v" for i in range(200_000)}}, 413, "the limit for a run request"),
    ({"Tags": {str(i): "v" for i in range(101)}}, 400, "the limit is 100"),
]  # fmt: skip


def test_requests_sure_to_fail_are_refused_before_a_run_exists(airflow, published):
    runs_before = len(airflow.api.list_runs(published.dag_id))
    for body, status, message in REFUSED:
        answer = _post(airflow, published.endpoint, body)
        assert answer.status_code == status, (message, answer.status_code, answer.text[:300])
        assert message in answer.json()["detail"], answer.text[:300]
        assert len(answer.content) < 4_000
    many = {f"unknown_{i}": 1 for i in range(50_000)}
    answer = _post(airflow, published.endpoint, {"ParameterAssignments": many})
    assert answer.status_code == 400 and len(answer.content) < 4_000
    assert len(airflow.api.list_runs(published.dag_id)) == runs_before


def test_odd_ids_tokens_and_bodies_get_the_documented_answers(airflow, published):
    base = published.endpoint.rsplit("/", 1)[0]
    long_id = _post(airflow, f"{base}/{'p' * 5_000}", {})
    assert long_id.status_code == 404, long_id.text[:300]
    bad_token = _post(airflow, published.endpoint, {}, token="not-a-jwt")
    assert bad_token.status_code == 401
    assert bad_token.headers["WWW-Authenticate"].startswith("Bearer")
    not_json = _post(airflow, published.endpoint, content=b"{not json")
    assert not_json.status_code == 400, not_json.text[:300]
    assert "not valid JSON" in not_json.json()["detail"]


def test_airflows_own_trigger_refuses_what_the_params_can_express(airflow, published):
    for conf in ({"times": 2**64}, {"word": "a\x00b"}, {"word": "w" * 40_000}):
        with pytest.raises(AirflowApiError) as refused:
            airflow.api.trigger(published.dag_id, conf)
        assert refused.value.status_code == 400, conf
