"""PipelineRun over REST, as old Azure ML code uses it: wait, steps, metrics, logs, cancel."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Experiment, Run, Workspace
from mlpipelines.azureml.exceptions import ActivityFailedException
from mlpipelines.azureml.pipeline.core import PipelineRun
from mlpipelines.client.airflow_api import AirflowApiError
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e


def _run(airflow, dag_id: str, conf: dict | None = None) -> PipelineRun:
    airflow.api.wait_for_dag(dag_id)
    run_id = airflow.api.trigger(dag_id, conf or {})["dag_run_id"]
    ws = Workspace.from_config(airflow.home / "config.json")
    return PipelineRun(Experiment(ws, dag_id), run_id)


def test_wait_for_completion_then_steps_metrics_logs(airflow, capsys, tmp_path):
    run = _run(airflow, "hello_pipeline", {"greeting": "Servus"})
    assert run.wait_for_completion(show_output=True, timeout_seconds=300) == "Finished"
    shown = capsys.readouterr().out
    assert re.search(r"shout\s*│\s*Finished", shown), shown
    shout_lines = [line for line in shown.splitlines() if line.startswith("[shout]")]
    assert any("SERVUS, WORLD!" in line for line in shout_lines), "\n".join(shout_lines)
    assert run.get_portal_url() in shown
    assert run.get_status() == "Finished"
    assert sorted(s.name for s in run.get_steps()) == ["greet", "shout"]
    (shout,) = run.find_step_run("shout")
    assert shout.get_metrics() == {"message_length": len("Servus, world")}
    assert "SERVUS, WORLD!" in shout.get_logs()
    (greet,) = run.find_step_run("greet")
    assert set(greet.get_outputs()) == {"message"}
    # greet logs nothing: no metrics XCom is pushed for it, and its step run reads {}.
    with pytest.raises(AirflowApiError) as missing:
        airflow.api.xcom("hello_pipeline", run.id, "greet", "metrics")
    assert missing.value.status_code == 404
    assert greet.get_metrics() == {}
    assert run.get_metrics(recursive=True)[shout.id] == {"message_length": 13}
    assert run.get_metrics() == {}, "no step logged on the pipeline run itself"
    assert run.get_details()["properties"]["conf"]["greeting"] == "Servus"
    _inspect_as_the_samples_do(airflow, run, tmp_path)


def _inspect_as_the_samples_do(airflow, first, tmp_path):
    """What the old samples do with a finished run: look it up, read children, download an
    output and the files it kept."""
    ws = Workspace.from_config(airflow.home / "config.json")
    experiment = Experiment(ws, "hello_pipeline")
    pipeline_run = PipelineRun(experiment, first.id)
    assert Run(experiment, first.id).get_status() == "Finished"
    assert first.id in [r.id for r in experiment.get_runs()]
    assert sorted(child.name for child in pipeline_run.get_children()) == ["greet", "shout"]

    step_run = pipeline_run.find_step_run("greet")[0]
    assert step_run.get_details()["status"] == "Finished"
    port_data_reference = step_run.get_outputs()["message"].get_port_data_reference()
    assert port_data_reference.datastore_name == "workspaceblobstore"
    local = step_run.get_output_data("message").download(str(tmp_path / "download1"))
    assert local == str(tmp_path / "download1" / port_data_reference.path_on_datastore)
    assert (
        tmp_path / "download1" / port_data_reference.path_on_datastore / "message.txt"
    ).read_text() == "Servus, world"
    with pytest.raises(UserErrorException, match="has no output 'nope'; it has: message"):
        step_run.get_output_data("nope")

    shout = pipeline_run.find_step_run("shout")[0]
    assert "shout/stdout.txt" in pipeline_run.get_file_names()
    assert {"stdout.txt", "metrics.json"} <= set(shout.get_file_names())
    saved = shout.download_file("stdout.txt", output_file_path=str(tmp_path / "shout.txt"))
    assert "SERVUS, WORLD!" in Path(saved).read_text(encoding="utf-8")
    assert "SERVUS, WORLD!" in shout.get_job_log()
    details = shout.get_details_with_logs()
    assert details["status"] == "Finished"
    assert "SERVUS, WORLD!" in details["logFiles"]["stdout.txt"]
    assert details["logFiles"]["airflow_task.log"]


def test_reused_steps_report_finished_with_the_metrics_of_the_run_that_made_them(airflow):
    first = _run(airflow, "hello_pipeline", {"greeting": "Moin"})
    first.wait_for_completion(show_output=False, timeout_seconds=300)
    again = _run(airflow, "hello_pipeline", {"greeting": "Moin"})
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    (shout,) = again.find_step_run("shout")
    assert shout.reused and shout.get_status() == "Finished"
    assert shout.get_metrics() == {"message_length": len("Moin, world")}


def test_failed_run_raises_naming_the_failed_step(airflow):
    run = _run(airflow, "e2e_failure")
    with pytest.raises(ActivityFailedException) as failed:
        run.wait_for_completion(show_output=False, timeout_seconds=300)
    failed_steps = str(failed.value).split("failed steps: ")[1].split(";")[0].split(", ")
    assert "breaks" in failed_steps
    assert run.get_status() == "Failed"


def test_cancel_stops_a_running_pipeline(airflow, tmp_path):
    pid_file = tmp_path / "hang.pid"
    run = _run(airflow, "e2e_killed", {"pid_file": str(pid_file)})
    deadline = time.monotonic() + 120
    while not pid_file.exists():
        assert time.monotonic() < deadline
        time.sleep(0.3)
    run.cancel()
    assert run.wait_for_completion(show_output=False, timeout_seconds=120) == "Canceled"
    assert run.get_status() == "Canceled"
    assert run.get_details()["note"].startswith("Canceled by admin")
