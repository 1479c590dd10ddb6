"""DatabricksStep: the model's checks, the plan, and runs through the real DatabricksHook
against a local Jobs API stand-in (no Airflow scheduler)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.databricks.hooks.databricks import DatabricksHook

from mlpipelines import (
    DatabricksStep,
    DataReference,
    Pipeline,
    PipelineData,
    PipelineParameter,
    UserErrorException,
    Workspace,
)
from mlpipelines.azureml.core.compute import DatabricksCompute
from mlpipelines.errors import ComputeTargetException, StepRunError
from mlpipelines.model.databricks import databricks_connection_fields
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.operators.databricks import RUN_PAGE_URL_XCOM_KEY, DatabricksStepOperator
from mlpipelines.records import StepDefinition
from mlpipelines.runtime.databricks import run_databricks_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot import take_snapshot
from support.databricks_jobs_api import JobsApiStandIn, Outcome

CONN_ID = "databricks_test"
CLUSTER = {"spark_version": "15.4.x-scala2.12", "node_type": "Standard_DS3_v2", "num_workers": 2}


def _store() -> Path:
    return Workspace.current().datastore_root("workspaceblobstore")


def _definitions(*steps: DatabricksStep) -> dict[str, StepDefinition]:
    plan = plan_pipeline(Pipeline(Workspace.current(), list(steps)))
    return {task.task_id: task.definition for task in plan.tasks}


def _context(task_id: str, params: dict[str, Any] | None = None) -> StepContext:
    return StepContext(
        "databricks",
        f"manual__{uuid.uuid4().hex[:8]}",
        task_id,
        params=dict(params or {}),
        pull_output=lambda producer, name: None,
    )


def _notebook_step(name: str, **kwargs: Any) -> DatabricksStep:
    kwargs.setdefault("allow_reuse", False)
    kwargs.setdefault("compute_target", CONN_ID)
    for key, value in CLUSTER.items():
        if "existing_cluster_id" not in kwargs:
            kwargs.setdefault(key, value)
    return DatabricksStep(name=name, notebook_path="/Shared/train", **kwargs)


def _run(definition: StepDefinition, ctx: StepContext, **kwargs: Any) -> Any:
    assert definition.databricks is not None
    hook = DatabricksHook(definition.databricks.conn_id, retry_limit=1)
    return run_databricks_step(definition, ctx, hook, polling_period_seconds=0.1, **kwargs)


# --- the model -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({**CLUSTER}, "none of them given"),
        ({**CLUSTER, "notebook_path": "/a", "python_script_path": "dbfs:/b.py"}, "and"),
        ({"notebook_path": "/a"}, "num_workers"),
        ({"notebook_path": "/a", "spark_version": "15.4", "node_type": "x"}, "num_workers"),
        ({**CLUSTER, "notebook_path": "/a", "existing_cluster_id": "c-1"}, "not both"),
        ({**CLUSTER, "notebook_path": "/a", "min_workers": 1, "max_workers": 3}, "not both"),
        ({**CLUSTER, "notebook_path": "/a", "timeout_seconds": 0}, "timeout_seconds"),
    ],
)
def test_bad_step_is_refused_at_construction_naming_the_step(kwargs, says):
    with pytest.raises(UserErrorException, match="DatabricksStep 'bad'") as err:
        DatabricksStep(name="bad", **kwargs)
    assert says in str(err.value)


def test_notebook_data_must_be_declared():
    stray = PipelineData("stray")
    with pytest.raises(UserErrorException, match="notebook_params\\['x'\\] is PipelineData"):
        _notebook_step("nb", notebook_params={"x": stray})


def test_host_with_scheme_and_port_becomes_separate_connection_fields():
    assert databricks_connection_fields("http://127.0.0.1:8555", "t") == {
        "conn_type": "databricks",
        "host": "127.0.0.1",
        "port": 8555,
        "schema": "http",
        "login": "",
        "password": "t",
    }
    fields = databricks_connection_fields("https://adb-1.azuredatabricks.net", "dapi1")
    assert (fields["host"], fields["port"], fields["schema"]) == (
        "adb-1.azuredatabricks.net",
        None,
        "https",
    )
    bare = databricks_connection_fields("adb-2.azuredatabricks.net", "x")
    assert (bare["host"], bare["schema"]) == ("adb-2.azuredatabricks.net", "https")


def test_attach_without_token_is_a_clear_error():
    with pytest.raises(ComputeTargetException, match="access_token"):
        DatabricksCompute.attach_configuration(host="https://adb-1.azuredatabricks.net")


def test_plan_holds_cluster_task_and_connection(tmp_path):
    (tmp_path / "job.py").write_text("print('hi')\n")
    alpha = PipelineParameter("alpha", 0.5)
    autoscaled = DatabricksStep(
        name="script",
        python_script_name="job.py",
        source_directory=str(tmp_path),
        python_script_params=["--alpha", alpha],
        spark_version="15.4.x-scala2.12",
        node_type="Standard_DS3_v2",
        min_workers=1,
        max_workers=4,
        spark_conf={"spark.speculation": "true"},
        compute_target=DatabricksCompute(name="dbx_prod"),
        timeout_seconds=600,
        run_name="nightly",
    )
    on_cluster = DatabricksStep(
        name="jar", main_class_name="com.x.Main", jar_params=["a"], existing_cluster_id="c-1"
    )
    definitions = _definitions(autoscaled, on_cluster)
    script = definitions["script"].to_json()
    assert script["kind"] == "databricks"
    assert script["script_name"] == "job.py"
    assert script["source_directory"] == str(tmp_path)
    assert script["arguments"] == [{"value": "--alpha"}, {"parameter": "alpha"}]
    assert script["databricks"] == {
        "conn_id": "dbx_prod",
        "existing_cluster_id": None,
        "new_cluster": {
            "spark_version": "15.4.x-scala2.12",
            "node_type_id": "Standard_DS3_v2",
            "autoscale": {"min_workers": 1, "max_workers": 4},
            "spark_conf": {"spark.speculation": "true"},
        },
        "task": {"kind": "spark_python_task", "python_script_name": "job.py"},
        "run_name": "nightly",
        "timeout_seconds": 600,
        "permit_cluster_restart": None,
    }
    jar = definitions["jar"].to_json()["databricks"]
    assert jar["conn_id"] == "databricks_default"
    assert jar["existing_cluster_id"] == "c-1"
    assert jar["new_cluster"] is None
    assert jar["task"] == {"kind": "spark_jar_task", "main_class_name": "com.x.Main"}


def test_pipeline_renders_a_databricks_operator():
    from mlpipelines.records.step_kinds import step_kind

    assert step_kind("databricks").operator_class() is DatabricksStepOperator


# --- runs against the stand-in ----------------------------------------------------------


def test_success_fills_in_parameters_and_data_uris(jobs_api: JobsApiStandIn):
    relative = f"databricks-tests/{uuid.uuid4().hex[:12]}"
    (_store() / relative).mkdir(parents=True)
    (_store() / relative / "train.csv").write_text("a,b\n1,2\n")
    raw = DataReference(
        Workspace.current().get_default_datastore(),
        data_reference_name="raw",
        path_on_datastore=relative,
    )
    model = PipelineData("model")
    step = _notebook_step(
        "train",
        inputs=[raw],
        outputs=[model],
        notebook_params={
            "tag": PipelineParameter("tag", "$(id)"),
            "expr": PipelineParameter("expr", "{{ 7*7 }}"),
            "epochs": 3,
            "out_dir": model,
        },
        run_name="train-ok",
        timeout_seconds=60,
    )
    jobs_api.script("train-ok", Outcome(polls=2))
    definition = _definitions(step)["train"]
    ctx = _context("train", {"tag": "$(id)", "expr": "{{ 7*7 }}"})
    submitted: list[tuple[int, str]] = []

    result = _run(definition, ctx, on_submit=lambda run_id, url: submitted.append((run_id, url)))

    [body] = jobs_api.submitted
    [task] = body["tasks"]
    assert body["run_name"] == "train-ok"
    assert body["timeout_seconds"] == 60
    assert task["new_cluster"] == {
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "Standard_DS3_v2",
        "num_workers": 2,
    }
    params = task["notebook_task"]["base_parameters"]
    assert task["notebook_task"]["notebook_path"] == "/Shared/train"
    assert params["tag"] == "$(id)"
    assert params["expr"] == "{{ 7*7 }}"
    assert params["epochs"] == "3"
    assert params["raw"] == (_store() / relative).resolve().as_uri()
    assert params["out_dir"].startswith("file://")
    assert "/pipelinedata/" in params["out_dir"] and "model" in params["out_dir"]
    assert params["model"] == params["out_dir"], "every output is also a widget named after it"
    run_id = submitted[0][0]
    assert submitted[0][1].endswith(f"/run/{run_id}")
    assert result.metrics == {"databricks_run_id": run_id, "result_state": "SUCCESS"}
    ref = result.outputs["model"]
    assert (_store() / ref.path).is_dir()
    assert jobs_api.cancelled == []


def test_python_script_runs_from_its_snapshot_on_dbfs(jobs_api: JobsApiStandIn, tmp_path):
    (tmp_path / "job.py").write_text("print('hi')\n")
    (tmp_path / "helper.py").write_text("X = 1\n")
    step = DatabricksStep(
        name="script",
        python_script_name="job.py",
        source_directory=str(tmp_path),
        python_script_params=["--alpha", PipelineParameter("alpha", 0.5)],
        existing_cluster_id="c-1",
        compute_target=CONN_ID,
        allow_reuse=False,
    )
    definition = _definitions(step)["script"]
    result = _run(definition, _context("script", {"alpha": 0.25}))

    [task] = jobs_api.submitted[0]["tasks"]
    assert task["existing_cluster_id"] == "c-1"
    python_task = task["spark_python_task"]
    assert python_task["parameters"] == ["--alpha", "0.25"]
    folder = "/mlpipelines/snapshots/" + take_snapshot(tmp_path).digest.replace(":", "-")
    assert python_task["python_file"] == f"dbfs:{folder}/job.py"
    assert jobs_api.dbfs[f"{folder}/job.py"] == b"print('hi')\n"
    assert jobs_api.dbfs[f"{folder}/helper.py"] == b"X = 1\n"
    assert result.metrics["result_state"] == "SUCCESS"


def test_failure_raises_with_the_runs_error(jobs_api: JobsApiStandIn):
    jobs_api.script("boom", Outcome(polls=1, result_state="FAILED", error="ZeroDivisionError: x"))
    step = _notebook_step("fails", outputs=[PipelineData("out")], run_name="boom")
    definition = _definitions(step)["fails"]
    ctx = _context("fails")
    with pytest.raises(StepRunError) as err:
        _run(definition, ctx)
    message = str(err.value)
    assert "ended TERMINATED with result FAILED" in message
    assert "ZeroDivisionError: x" in message
    assert "run page: " in message
    step_dir = _store() / "pipelinedata" / ctx.run_folder / "fails"
    assert not step_dir.exists() or not any(step_dir.iterdir()), "no output is published"
    assert ("GET", "runs/get-output") in jobs_api.calls


def test_timeout_cancels_the_run(jobs_api: JobsApiStandIn):
    jobs_api.script("slow", Outcome(never_ends=True))
    step = _notebook_step("slow", run_name="slow", timeout_seconds=1)
    definition = _definitions(step)["slow"]
    started = time.monotonic()
    with pytest.raises(StepRunError, match="within timeout_seconds=1; it was cancelled"):
        _run(definition, _context("slow"))
    assert time.monotonic() - started < 10
    assert len(jobs_api.cancelled) == 1


def test_on_kill_cancels_the_run(jobs_api: JobsApiStandIn):
    jobs_api.script("forever", Outcome(never_ends=True))
    step = _notebook_step("forever", run_name="forever")
    definition = _definitions(step)["forever"]
    operator = DatabricksStepOperator(
        task_id="forever", step=definition, polling_period_seconds=0.1
    )
    assert operator.databricks_conn_id == CONN_ID
    failure: list[BaseException] = []

    def run() -> None:
        try:
            operator.run_step(_context("forever"))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while not jobs_api.runs and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    operator.on_kill()
    thread.join(10)
    assert not thread.is_alive()
    assert ("POST", "runs/cancel") in jobs_api.calls
    assert len(jobs_api.cancelled) == 1
    assert failure and isinstance(failure[0], StepRunError)
    assert "CANCELED" in str(failure[0])


class _FakeTaskInstance:
    dag_id = "databricks"
    run_id = "manual__xcom"
    task_id = "linked"
    try_number = 1

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, **kwargs: Any) -> Any:
        return None


def test_execute_pushes_the_run_page_url_and_metrics(jobs_api: JobsApiStandIn):
    step = _notebook_step("linked", run_name="linked")
    operator = DatabricksStepOperator(
        task_id="linked", step=_definitions(step)["linked"], polling_period_seconds=0.1
    )
    ti = _FakeTaskInstance()
    operator.execute({"ti": ti, "params": {}})
    run_id = next(iter(jobs_api.runs))
    assert ti.pushed[RUN_PAGE_URL_XCOM_KEY].endswith(f"/run/{run_id}")
    assert ti.pushed["metrics"] == {"databricks_run_id": run_id, "result_state": "SUCCESS"}
    assert [link.name for link in operator.operator_extra_links][-1] == "Databricks run"


def test_wrong_token_names_the_connection(jobs_api: JobsApiStandIn, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_DATABRICKS_BAD",
        json.dumps(
            {
                "conn_type": "databricks",
                "host": "127.0.0.1",
                "port": jobs_api.port,
                "schema": "http",
                "password": "not-the-token",
            }
        ),
    )
    step = _notebook_step("denied", compute_target="databricks_bad")
    definition = _definitions(step)["denied"]
    with pytest.raises(StepRunError) as err:
        _run(definition, _context("denied"))
    assert "Databricks connection 'databricks_bad' was refused" in str(err.value)
    assert "HTTP 401" in str(err.value)
    assert jobs_api.runs == {}


def test_missing_connection_is_a_clear_error(jobs_api: JobsApiStandIn):
    step = _notebook_step("nowhere", compute_target="databricks_nowhere")
    with pytest.raises(StepRunError, match="'databricks_nowhere' is not defined"):
        _run(_definitions(step)["nowhere"], _context("nowhere"))
