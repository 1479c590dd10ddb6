"""Pipelines as users meet them: DAG files in a dags folder, runs triggered through REST v2."""

from __future__ import annotations

import json
import pickle
import time

import pytest

from mlpipelines.client.airflow_api import AirflowApiError

pytestmark = pytest.mark.e2e


def test_sklearn_example_runs_with_a_parameter_from_conf(airflow):
    run, tis = airflow.run("sklearn_compare_models", {"n_estimators": 17, "C": 0.5})
    assert run["state"] == "success", tis
    assert set(tis) == {
        "mlpipelines_reuse",
        "prepare",
        "train_random_forest",
        "train_logistic_regression",
        "compare",
    }
    assert {ti["state"] for ti in tis.values()} == {"success"}
    run_id = run["dag_run_id"]

    forest = airflow.api.xcom("sklearn_compare_models", run_id, "train_random_forest", "metrics")
    logistic = airflow.api.xcom(
        "sklearn_compare_models", run_id, "train_logistic_regression", "metrics"
    )
    assert forest["n_estimators"] == 17
    assert logistic["C"] == 0.5
    assert 0.8 < forest["accuracy"] <= 1.0
    best = airflow.api.xcom("sklearn_compare_models", run_id, "compare", "metrics")
    winner = max(
        (forest, "random_forest"), (logistic, "logistic_regression"), key=lambda m: m[0]["accuracy"]
    )
    assert best["best_model"] == winner[1]
    assert best["best_accuracy"] == pytest.approx(winner[0]["accuracy"])

    best_dir = airflow.output_path("sklearn_compare_models", run_id, "compare", "best_model")
    assert run_id.replace(":", "_").replace("+", "_") in str(best_dir)
    summary = json.loads((best_dir / "best.json").read_text())
    assert summary["best"]["model"] == best["best_model"]
    with open(best_dir / "model.pkl", "rb") as source:
        assert hasattr(pickle.load(source), "predict")
    stdout = airflow.artifact("sklearn_compare_models", run_id, "compare", "stdout.txt")
    assert f"best: {best['best_model']}" in stdout.read_text()
    metrics = airflow.artifact("sklearn_compare_models", run_id, "compare", "metrics.json")
    assert json.loads(metrics.read_text()) == best


def test_the_two_trainings_run_in_parallel(airflow):
    run, tis = airflow.run("sklearn_compare_models", {"n_estimators": 5})
    assert run["state"] == "success"
    forest, logistic = tis["train_random_forest"], tis["train_logistic_regression"]
    assert tis["prepare"]["end_date"] <= min(forest["start_date"], logistic["start_date"])
    assert max(forest["end_date"], logistic["end_date"]) <= tis["compare"]["start_date"]


def test_parameter_values_reach_the_script_verbatim(airflow):
    hostile = {"first": "; rm -rf /", "second": "$(id)", "third": "{{ 7*7 }}", "count": 12}
    run, tis = airflow.run("e2e_arguments", hostile)
    assert run["state"] == "success", tis
    out = airflow.output_path("e2e_arguments", run["dag_run_id"], "echo", "echoed")
    received = json.loads((out / "received.json").read_text())
    assert received["argv"][:5] == ["; rm -rf /", "$(id)", "{{ 7*7 }}", "--count", "12"]
    assert received["env"]["AML_PARAMETER_third"] == "{{ 7*7 }}"


def test_parameter_of_the_wrong_type_is_refused_and_no_run_is_created(airflow):
    airflow.api.wait_for_dag("e2e_arguments")
    before = len(airflow.api.list_runs("e2e_arguments"))
    with pytest.raises(AirflowApiError) as refused:
        airflow.api.trigger("e2e_arguments", {"count": "abc"})
    assert refused.value.status_code == 400
    assert "count" in str(refused.value.detail)
    assert len(airflow.api.list_runs("e2e_arguments")) == before


def test_failing_script_fails_its_task_with_the_stderr_tail_in_the_log(airflow):
    run, tis = airflow.run("e2e_failure")
    assert run["state"] == "failed"
    assert tis["breaks"]["state"] == "failed"
    assert tis["after"]["state"] == "upstream_failed"
    log = airflow.api.task_log("e2e_failure", run["dag_run_id"], "breaks")
    assert "exited with code 3" in log
    assert "FATAL: the widget is broken (marker-7f3a)" in log
    run_folder = run["dag_run_id"].replace(":", "_").replace("+", "_")
    step_dir = airflow.blobstore / "pipelinedata" / "e2e_failure" / run_folder / "breaks"
    assert not step_dir.exists() or list(step_dir.iterdir()) == []


def test_pipeline_embedded_as_a_task_group_hands_on_to_a_user_task(airflow):
    run, tis = airflow.run("e2e_task_group")
    assert run["state"] == "success", tis
    assert {"start", "ml.echo", "ml.done", "after"} <= set(tis)
    received = airflow.api.xcom("e2e_task_group", run["dag_run_id"], "after", "return_value")
    assert received["argv"][0] == "inside-group"


def test_hello_example_and_its_step_docs_in_the_ui(airflow):
    run, tis = airflow.run("hello_pipeline", {"greeting": "Hi there"})
    assert run["state"] == "success", tis
    stdout = airflow.artifact("hello_pipeline", run["dag_run_id"], "shout", "stdout.txt")
    assert "HI THERE, WORLD!" in stdout.read_text()
    task = airflow.api.call("GET", "/api/v2/dags/hello_pipeline/tasks/shout")
    assert "PythonScriptStep" in task["doc_md"] and "message" in task["doc_md"]
    dag = airflow.api.call("GET", "/api/v2/dags/hello_pipeline/details")
    assert dag["params"]["greeting"]["value"] == "Hello"


def test_malformed_pipeline_file_shows_every_problem_as_its_import_error(airflow):
    deadline = time.monotonic() + 120
    while True:
        errors = airflow.api.call("GET", "/api/v2/importErrors")["import_errors"]
        mine = [e for e in errors if e["filename"].endswith("e2e_malformed.py")]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert mine, errors
    trace = mine[0]["stack_trace"]
    assert "PipelineValidationError: pipeline is invalid (2 problems)" in trace
    assert "step 'lonely': PipelineData 'never_made' is consumed but no step lists it" in trace
    assert "step 'ghost': script 'no_such_script.py' is not in source_directory" in trace
    assert airflow.api.request("GET", "/api/v2/dags/e2e_malformed").status_code == 404
