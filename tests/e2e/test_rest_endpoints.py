"""Azure ML style REST on the real Airflow: POST a run request to a published pipeline's or
an endpoint's URL; parameters are checked before any run; auth is Airflow's own."""

from __future__ import annotations

import httpx
import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import (
    Pipeline,
    PipelineEndpoint,
    PipelineParameter,
    PipelineRun,
    PublishedPipeline,
)
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e

SCRIPT = """import sys
from mlpipelines import Run
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
run = Run.get_context()
run.log("word", args["--word"])
run.log("times", int(args["--times"]))
run.log("variant", {variant!r})
"""


def _pipeline(ws, folder, variant):
    folder.mkdir(exist_ok=True)
    (folder / "echo.py").write_text(SCRIPT.format(variant=variant))
    word = PipelineParameter(name="word", default_value="abc")
    times = PipelineParameter(name="times", default_value=1)
    step = PythonScriptStep(
        name="echo",
        script_name="echo.py",
        source_directory=str(folder),
        arguments=["--word", word, "--times", times],
        allow_reuse=False,
    )
    return Pipeline(ws, [step])


def _post(url, token, body):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, json=body, headers=headers, timeout=60)


def _metrics(airflow, dag_id, run_id):
    airflow.api.wait_for_run(dag_id, run_id, timeout=300)
    return airflow.api.xcom(dag_id, run_id, "echo", "metrics")


def _run_count(airflow, dag_id):
    return len(airflow.api.list_runs(dag_id))


def test_published_pipeline_rest_endpoint(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    published = _pipeline(ws, tmp_path / "v1", "one").publish("rest_echo", version="1")
    token = airflow.api.token()
    word = "; rm -rf / $(id) {{ dag_run.conf }} `uname` 'q\" %s"

    answer = _post(
        published.endpoint,
        token,
        {
            "ExperimentName": "rest-calls",
            "ParameterAssignments": {"word": word, "times": 3},
            "RunSource": "SDK",
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["DagId"] == "rest_echo__v1" and body["PipelineId"] == published.id
    metrics = _metrics(airflow, "rest_echo__v1", body["Id"])
    assert metrics == {"word": word, "times": 3, "variant": "one"}
    run = airflow.api.get_run("rest_echo__v1", body["Id"])
    assert run["conf"]["mlpipelines_experiment"] == "rest-calls"
    assert run["note"] == "SDK run of experiment rest-calls"

    runs_before = _run_count(airflow, "rest_echo__v1")
    unknown = _post(published.endpoint, token, {"ParameterAssignments": {"wrod": "x"}})
    assert unknown.status_code == 400
    assert "unknown parameter(s) 'wrod'" in unknown.json()["detail"]
    wrong_type = _post(published.endpoint, token, {"ParameterAssignments": {"times": "many"}})
    assert wrong_type.status_code == 400
    assert "'times' must be of type integer" in wrong_type.json()["detail"]
    not_finite = _post(published.endpoint, token, {"ParameterAssignments": {"times": "inf"}})
    assert not_finite.status_code == 400
    versioned = _post(published.endpoint, token, {"PipelineVersion": "1"})
    assert versioned.status_code == 400
    assert "PipelineVersion is for pipeline endpoints" in versioned.json()["detail"]
    assert _post(published.endpoint, None, {}).status_code == 401
    assert _post(published.endpoint, "not-a-jwt", {}).status_code in (401, 403)
    assert _post(f"{ws.airflow_url}/mlpipelines/pipelines/nope", token, {}).status_code == 404

    published.disable()
    disabled = _post(published.endpoint, token, {})
    assert disabled.status_code == 409 and "disabled" in disabled.json()["detail"]
    assert _run_count(airflow, "rest_echo__v1") == runs_before
    published.enable()
    again = _post(published.endpoint, token, {"ParameterAssignments": {"times": "4"}})
    assert again.status_code == 200, again.text
    assert _metrics(airflow, "rest_echo__v1", again.json()["Id"])["times"] == 4


def test_pipeline_endpoint_versions_default_and_disable(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    first = _pipeline(ws, tmp_path / "a", "first").publish("ep_echo", version="1")
    second = _pipeline(ws, tmp_path / "b", "second").publish("ep_echo", version="2")
    endpoint = PipelineEndpoint.publish(ws, "echo_endpoint", "echo versions", first)
    assert endpoint.endpoint == f"{ws.airflow_url}/mlpipelines/endpoints/Id/{endpoint.id}"
    with pytest.raises(UserErrorException, match="exists"):
        PipelineEndpoint.publish(ws, "echo_endpoint", "again", first)

    same = PipelineEndpoint.get(ws, name="echo_endpoint")
    assert same.add(second).version == "1"
    assert same.add(second).version == "1"
    assert [(v.version, v.pipeline_id) for v in same.list_versions()] == [
        ("0", first.id),
        ("1", second.id),
    ]
    assert [p.id for p in same.list_pipelines()] == [first.id, second.id]
    assert same.get_default_version() == "0"

    token = airflow.api.token()
    by_default = _post(endpoint.endpoint, token, {"ParameterAssignments": {"word": "d"}})
    assert by_default.status_code == 200, by_default.text
    assert by_default.json()["DagId"] == "ep_echo__v1"
    assert _metrics(airflow, "ep_echo__v1", by_default.json()["Id"])["variant"] == "first"

    pinned = _post(endpoint.endpoint, token, {"PipelineVersion": "1"})
    assert pinned.json()["DagId"] == "ep_echo__v2"
    assert _post(endpoint.endpoint, token, {"PipelineVersion": "7"}).status_code == 400
    _endpoint_url_shapes_and_experiments(airflow, ws, same, token)

    same.set_default_version("1")
    run = PipelineEndpoint.get(ws, id=endpoint.id).submit(
        "endpoint-runs", pipeline_parameters={"times": 2}
    )
    assert run.dag_id == "ep_echo__v2"
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert run.find_step_run("echo")[0].get_metrics()["variant"] == "second"

    same.disable()
    assert "echo_endpoint" not in [e.name for e in PipelineEndpoint.list(ws)]
    assert _post(endpoint.endpoint, token, {}).status_code == 409
    with pytest.raises(UserErrorException, match="disabled"):
        same.submit("endpoint-runs")
    same.enable()
    assert "echo_endpoint" in [e.name for e in PipelineEndpoint.list(ws)]
    assert PublishedPipeline.get(ws, id=second.id).status == "Active"
    assert _post(endpoint.endpoint, token, {}).status_code == 200


def _endpoint_url_shapes_and_experiments(airflow, ws, pipeline_endpoint_by_name, token):
    """The versioned-endpoints notebook's URL shapes and submits; a run's experiment is
    listed and finds its runs whichever DAG ran them."""
    rest_endpoint_id = pipeline_endpoint_by_name.endpoint
    with_version = _post(rest_endpoint_id + "/" + "1", token, {"ExperimentName": "by_url"})
    assert with_version.status_code == 200, with_version.text
    assert with_version.json()["DagId"] == "ep_echo__v2"
    rest_endpoint_name = rest_endpoint_id.split("Id", 1)[0] + "Name?name=" + "echo_endpoint"
    by_name = _post(rest_endpoint_name + "&pipelineVersion=" + "0", token, {})
    assert by_name.status_code == 200, by_name.text
    assert by_name.json()["DagId"] == "ep_echo__v1"
    clash = _post(rest_endpoint_id + "/0", token, {"PipelineVersion": "1"})
    assert clash.status_code == 400 and "give one of them" in clash.json()["detail"]

    pipeline_run = Experiment(ws, name="submit_from_endpoint").submit(
        pipeline_endpoint_by_name, tags={"endpoint_tag": "1"}, pipeline_version="0"
    )
    assert pipeline_run.dag_id == "ep_echo__v1"
    assert {"submit_from_endpoint", "by_url"} <= set(ws.experiments)
    experiment = ws.experiments["submit_from_endpoint"]
    assert [r.id for r in experiment.get_runs()] == [pipeline_run.id]
    assert PipelineRun(experiment, pipeline_run.id).dag_id == "ep_echo__v1"
    conf = airflow.api.get_run("ep_echo__v1", pipeline_run.id)["conf"]
    assert conf["mlpipelines_tags"] == {"endpoint_tag": "1"}


def test_rest_forwards_to_the_configured_base_url_not_the_callers_host(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    published = _pipeline(ws, tmp_path / "host", "host").publish("rest_host", version="1")
    # A proxy in front of Airflow passes on a Host the API server itself cannot reach.
    answer = httpx.post(
        published.endpoint,
        json={"ParameterAssignments": {"word": "proxied"}},
        headers={
            "Authorization": f"Bearer {airflow.api.token()}",
            "Host": "airflow.behind-a-proxy.invalid",
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["RunUrl"].startswith(f"{ws.airflow_url}/dags/rest_host__v1/runs/")
    assert _metrics(airflow, "rest_host__v1", answer.json()["Id"])["word"] == "proxied"


COUNT_ROWS = """import os, sys
from mlpipelines import Run
folder = sys.argv[1]
Run.get_context().log("rows", sum(
    len(open(os.path.join(folder, f)).read().splitlines()) for f in os.listdir(folder)))
"""


def test_data_path_assignments_choose_the_input_of_a_run(airflow, tmp_path):
    from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding

    ws = Workspace.from_config(airflow.home / "config.json")
    store = ws.get_default_datastore()
    for name, rows in (("dp_a", 2), ("dp_b", 7)):
        (airflow.blobstore / "rest-data" / name).mkdir(parents=True, exist_ok=True)
        (airflow.blobstore / "rest-data" / name / "x.csv").write_text("r\n" * rows)
    (tmp_path / "rows.py").write_text(COUNT_ROWS)
    param = PipelineParameter("data", DataPath(store, "rest-data/dp_a"))
    bound = (param, DataPathComputeBinding(mode="mount"))
    step = PythonScriptStep(
        name="echo",
        script_name="rows.py",
        source_directory=str(tmp_path),
        arguments=[bound],
        inputs=[bound],
    )
    published = Pipeline(ws, [step]).publish("rest_rows")
    token = airflow.api.token()
    default = _post(published.endpoint, token, {"ExperimentName": "rows"})
    assert _metrics(airflow, published.dag_id, default.json()["Id"]) == {"rows": 2}
    chosen = _post(
        published.endpoint,
        token,
        {
            "ExperimentName": "rows",
            "DataPathAssignments": {
                "data": {"DataStoreName": store.name, "RelativePath": "rest-data/dp_b"}
            },
        },
    )
    assert chosen.status_code == 200, chosen.text
    assert _metrics(airflow, published.dag_id, chosen.json()["Id"]) == {"rows": 7}
    escape = _post(
        published.endpoint,
        token,
        {"DataPathAssignments": {"data": {"DataStoreName": store.name, "RelativePath": "../x"}}},
    )
    assert escape.status_code == 400 and "leaves the datastore" in escape.json()["detail"]


def test_a_retried_request_with_an_idempotency_key_makes_one_run(airflow, tmp_path):
    """A notebook that lost an answer and sends the same request again gets the same run."""
    ws = Workspace.from_config(airflow.home / "config.json")
    published = _pipeline(ws, tmp_path / "idem", "idem").publish("rest_idem", version="1")
    token = airflow.api.token()
    body = {"ParameterAssignments": {"word": "once"}}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "notebook-cell-7/try"}
    first = httpx.post(published.endpoint, json=body, headers=headers, timeout=60)
    again = httpx.post(published.endpoint, json=body, headers=headers, timeout=60)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json()["Id"] == again.json()["Id"]
    other = httpx.post(
        published.endpoint, json=body, headers={**headers, "Idempotency-Key": "another"}
    )
    assert other.json()["Id"] != first.json()["Id"]
    assert _run_count(airflow, "rest_idem__v1") == 2
    too_long = {**headers, "Idempotency-Key": "k" * 300}
    bad = httpx.post(published.endpoint, json=body, headers=too_long, timeout=60)
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json()["detail"]
    assert _metrics(airflow, "rest_idem__v1", first.json()["Id"])["word"] == "once"
