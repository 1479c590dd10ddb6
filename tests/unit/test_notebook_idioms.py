"""Small idioms the public AML v1 pipeline notebooks use, found by running their cells: the
default compute target, ``e.message`` on SDK exceptions, environments from Docker images and
Dockerfiles, and a run configuration's Spark section."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Environment, Workspace
from mlpipelines.azureml.core.compute import ComputeTarget
from mlpipelines.azureml.core.compute_target import ComputeTargetException
from mlpipelines.azureml.core.runconfig import RunConfiguration
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException


def test_default_compute_target_runs_steps_on_the_worker(tmp_path: Path) -> None:
    ws = Workspace.from_config(_config(tmp_path))
    target = ws.get_default_compute_target("CPU")
    assert target.name == "local"
    assert ws.get_default_compute_target(type="GPU").name == "local"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello.py").write_text("print('hi')\n")
    step = PythonScriptStep(
        name="hello",
        script_name="hello.py",
        source_directory=str(tmp_path / "src"),
        compute_target=target,
    )
    plan = Pipeline(workspace=ws, steps=[step]).plan()
    assert (
        plan.tasks[0].definition.compute is None
        or plan.tasks[0].definition.compute.backend == "local"
    )
    with pytest.raises(UserErrorException, match="'CPU' or 'GPU'"):
        ws.get_default_compute_target("TPU")


def test_sdk_exceptions_carry_message_as_the_samples_read_it(tmp_path: Path) -> None:
    ws = Workspace.from_config(_config(tmp_path))
    try:
        ComputeTarget(workspace=ws, name="adlacomp")
    except ComputeTargetException as e:
        assert "adlacomp" in e.message
        assert "ComputeTargetNotFound" in e.message  # what the ADLA sample tests for
        assert e.message == str(e)
    else:
        pytest.fail("an unknown compute target must raise ComputeTargetException")


def test_environment_from_docker_image_and_dockerfile(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("scikit-learn\n")
    env = Environment.from_docker_image(
        "img", "python:3.12-slim", pip_requirements=str(requirements)
    )
    assert env.docker.base_image == "python:3.12-slim"
    assert "scikit-learn" in env.python.conda_dependencies.pip_packages
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12-slim\nRUN pip install numpy\n")
    built = Environment.from_dockerfile("df", str(dockerfile))
    assert built.docker.base_dockerfile.startswith("FROM python:3.12-slim")
    assert built.docker.base_image is None
    inline = Environment.from_dockerfile("inline", "FROM ubuntu\nRUN true\n")
    assert inline.docker.base_dockerfile == "FROM ubuntu\nRUN true\n"


def test_run_configuration_spark_section_is_kept() -> None:
    run_config = RunConfiguration()
    run_config.environment.spark.precache_packages = False
    run_config.environment.spark.repositories.append("https://repo.example/maven")
    assert run_config.environment.spark.repositories == ["https://repo.example/maven"]
    assert run_config.environment.spark.precache_packages is False


def _config(tmp_path: Path) -> str:
    import json

    home = tmp_path / "home"
    home.mkdir()
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"home": str(home), "airflow_url": "http://127.0.0.1:9"}))
    return str(path)


def test_listing_published_pipelines_and_schedules_by_their_older_names(tmp_path: Path) -> None:
    from mlpipelines.azureml.pipeline.core import PublishedPipeline, Schedule

    ws = Workspace.from_config(_config(tmp_path))
    assert PublishedPipeline.get_all(ws) == PublishedPipeline.list(ws) == []
    assert Schedule.get_all(ws, active_only=False) == Schedule.list(ws, active_only=False) == []


def test_a_datastore_describes_itself_as_the_batch_sample_prints_it(tmp_path: Path) -> None:
    from mlpipelines.azureml.core import Datastore

    ws = Workspace.current()
    datastore = Datastore(ws, "workspaceblobstore")
    print("Datastore Account Name: " + datastore.account_name)
    assert datastore.account_name == "local"
    assert datastore.container_name == "workspaceblobstore"
    lake = Datastore.register_local_folder(ws, "lake", str(tmp_path / "lake"))
    assert lake.container_name == "lake"


def test_automl_training_outputs_build_and_the_step_names_the_airflow_way() -> None:
    from mlpipelines.azureml.pipeline.core import PipelineData, TrainingOutput
    from mlpipelines.azureml.pipeline.steps import AutoMLStep
    from mlpipelines.errors import AzureOnlyServiceError

    metrics = PipelineData(
        "metrics_data",
        pipeline_output_name="metrics_output",
        training_output=TrainingOutput(type="Metrics"),
    )
    assert metrics.name == "metrics_data"
    with pytest.raises(AzureOnlyServiceError, match="AutoMLStep needs"):
        AutoMLStep(name="automl_module", automl_config=None, outputs=[metrics])


def test_an_mpi_configuration_builds_and_its_script_run_warns_it_runs_once(tmp_path: Path) -> None:
    from mlpipelines.azureml.core import ScriptRunConfig
    from mlpipelines.azureml.core.runconfig import MpiConfiguration

    distr_config = MpiConfiguration(node_count=2)
    assert distr_config.node_count == 2
    with pytest.warns(UserWarning, match="runs as one process on one worker"):
        ScriptRunConfig(
            source_directory=str(tmp_path),
            command=["python", "train.py"],
            distributed_job_config=distr_config,
        )


def test_the_adla_sample_creates_its_target_when_not_found(tmp_path: Path) -> None:
    from mlpipelines.azureml.core.compute import AdlaCompute

    ws = Workspace.current()
    name = f"testadl{tmp_path.name[-6:].lower()}"
    try:
        adla_compute = AdlaCompute(ws, name)
    except ComputeTargetException as e:
        assert "ComputeTargetNotFound" in e.message
        provisioning_config = AdlaCompute.provisioning_configuration()
        adla_compute = ComputeTarget.create(ws, name, provisioning_config)
        adla_compute.wait_for_completion()
    assert adla_compute.provisioning_state == "Succeeded"
    assert adla_compute.provisioning_errors is None
    assert adla_compute.cluster_resource_id == name
    assert isinstance(ComputeTarget(workspace=ws, name=name), AdlaCompute)
