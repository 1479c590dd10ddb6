"""Airflow's DAG processor, with mlpipelines' discovery rule, opens migrated pipeline files
that never mention Airflow, and still skips step scripts and unrelated files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from airflow.utils.file import might_contain_dag as airflow_might_contain_dag

from mlpipelines.cli.local_airflow import LocalAirflow
from mlpipelines.translate.dag_discovery import DAG_DISCOVERY_CALLABLE, might_contain_dag

MIGRATED = """\
from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

ws = Workspace.current()
step = PythonScriptStep(name="train", script_name="train.py", source_directory="scripts")
pipeline = Pipeline(workspace=ws, steps=[step])
train = pipeline.to_dag("train")
"""
STEP_SCRIPT = """\
from mlpipelines.azureml.core import Run

run = Run.get_context()
run.log("accuracy", 0.9)
"""
LOADER = (
    "from mlpipelines.translate.spec_loader import load_spec_dags\n\nload_spec_dags(globals())\n"
)
PLAIN_AIRFLOW = "from airflow.sdk import DAG\n\nwith DAG('plain'):\n    pass\n"
UNRELATED = "import json\n\nprint(json.dumps({'to_dag': 1}))\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    written = {}
    for name, text in {
        "migrated": MIGRATED,
        "step_script": STEP_SCRIPT,
        "loader": LOADER,
        "plain_airflow": PLAIN_AIRFLOW,
        "unrelated": UNRELATED,
    }.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        written[name] = str(path)
    return written


def test_the_rule_accepts_translated_pipelines_and_keeps_airflows_own(files):
    found = {name for name, path in files.items() if might_contain_dag(path)}
    assert found == {"migrated", "loader", "plain_airflow"}


def test_airflow_applies_the_rule_named_in_its_config(files, monkeypatch):
    monkeypatch.delenv("AIRFLOW__CORE__MIGHT_CONTAIN_DAG_CALLABLE", raising=False)
    assert not airflow_might_contain_dag(files["migrated"], safe_mode=True), (
        "without the setting Airflow skips a migrated file: the reason for the rule"
    )
    monkeypatch.setenv("AIRFLOW__CORE__MIGHT_CONTAIN_DAG_CALLABLE", DAG_DISCOVERY_CALLABLE)
    assert airflow_might_contain_dag(files["migrated"], safe_mode=True)
    assert not airflow_might_contain_dag(files["step_script"], safe_mode=True)


def test_files_in_a_zip_are_read_from_the_zip(tmp_path):
    archive = tmp_path / "pipelines.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("migrated.py", MIGRATED)
        zipped.writestr("step.py", STEP_SCRIPT)
    with zipfile.ZipFile(archive) as zipped:
        assert might_contain_dag("migrated.py", zipped)
        assert not might_contain_dag("step.py", zipped)


def test_airflow_up_and_the_docker_image_set_the_rule(tmp_path):
    env = LocalAirflow(tmp_path).environment(8080)
    assert env["AIRFLOW__CORE__MIGHT_CONTAIN_DAG_CALLABLE"] == DAG_DISCOVERY_CALLABLE
    dockerfile = (Path(__file__).parents[3] / "docker" / "Dockerfile").read_text()
    assert f"ENV AIRFLOW__CORE__MIGHT_CONTAIN_DAG_CALLABLE={DAG_DISCOVERY_CALLABLE}" in dockerfile
