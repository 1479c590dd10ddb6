"""CondaDependencies, Environment and RunConfiguration as the samples build them, and what a
step's environment changes: the image on a container target, a warning on the worker."""

from __future__ import annotations

import warnings

import pytest
import yaml

from mlpipelines.azureml.core import Environment, Workspace
from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget
from mlpipelines.azureml.core.conda_dependencies import CondaDependencies
from mlpipelines.azureml.core.runconfig import (
    DEFAULT_CPU_IMAGE,
    DockerConfiguration,
    RunConfiguration,
)
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException
from mlpipelines.model.conda_dependencies import requirement_name
from mlpipelines.model.step_environment import EnvironmentPackagesWarning

MISSING = "no-such-package-for-mlpipelines-tests"


@pytest.fixture
def ws(tmp_path):
    return Workspace(home=str(tmp_path / "home"))


def test_conda_dependencies_create_add_and_serialize(tmp_path):
    deps = CondaDependencies.create(
        pip_packages=["scikit-learn==1.4.2", "azureml-defaults"],
        conda_packages=["numpy"],
        python_version="3.10",
        pin_sdk_version=False,
    )
    deps.add_pip_package("scikit-learn>=1.5")  # the same package: replaced, not doubled
    deps.add_conda_package("pandas")
    deps.add_channel("pytorch")
    assert deps.pip_packages == ["azureml-defaults", "scikit-learn>=1.5"]
    assert deps.conda_packages == ["numpy", "pandas"]
    spec = yaml.safe_load(deps.serialize_to_string())
    assert spec["channels"] == ["anaconda", "conda-forge", "pytorch"]
    assert spec["dependencies"] == [
        "python=3.10",
        "numpy",
        "pandas",
        "pip",
        {"pip": ["azureml-defaults", "scikit-learn>=1.5"]},
    ]
    path = deps.save(str(tmp_path / "env" / "conda.yml"))
    env = Environment.from_conda_specification(name="sklearn-env", file_path=path)
    again = env.python.conda_dependencies
    assert (again.pip_packages, again.conda_packages) == (deps.pip_packages, deps.conda_packages)
    assert again.get_python_version() == "3.10"
    saved = deps.save_to_file(str(tmp_path), conda_file_path="other.yml")
    assert CondaDependencies(saved).conda_channels == deps.conda_channels


def test_requirement_names():
    assert requirement_name("scikit-learn==1.4") == "scikit-learn"
    assert requirement_name("conda-forge::NumPy>=1.2") == "numpy"
    assert requirement_name("torch[cuda] ; sys_platform == 'linux'") == "torch"
    assert requirement_name("python=3.8") == "python"


def test_environment_from_pip_requirements(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# training\npandas>=2.0\n--extra-index-url https://pkgs.example/simple\n"
        "scikit-learn  # models\n\n"
    )
    env = Environment.from_pip_requirements("mlapp", str(tmp_path / "requirements.txt"))
    assert env.python.conda_dependencies.pip_packages == ["pandas>=2.0", "scikit-learn"]
    assert env.python.conda_dependencies.pip_options == [
        "--extra-index-url https://pkgs.example/simple"
    ]
    with pytest.raises(UserErrorException, match="cannot read requirements file"):
        Environment.from_pip_requirements("x", str(tmp_path / "absent.txt"))


def test_environment_register_and_get_versions(ws):
    env = Environment(name="train-env")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["pandas"])
    env.environment_variables = {"MODE": "fast"}
    assert env.register(ws).version == "1"
    assert Environment(name="train-env").clone("x").name == "x"
    same = Environment.get(ws, "train-env")
    assert same.register(ws).version == "1"  # unchanged: the same version
    same.docker.base_image = "registry.example/train:2"
    assert same.register(ws).version == "2"
    assert Environment.get(ws, "train-env", version="1").docker.base_image == DEFAULT_CPU_IMAGE
    latest = Environment.get(workspace=ws, name="train-env")
    assert (latest.version, latest.docker.base_image) == ("2", "registry.example/train:2")
    assert latest.python.conda_dependencies.pip_packages == ["pandas"]
    assert latest.environment_variables == {"MODE": "fast"}
    assert list(Environment.list(ws)) == ["train-env"]
    curated = Environment.get(ws, "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu")
    assert curated.python.interpreter_path is None
    assert curated.python.user_managed_dependencies
    with pytest.raises(UserErrorException, match="no environment registered as 'nope'"):
        Environment.get(ws, "nope")


def test_run_configuration_as_older_samples_write_it():
    run_config = RunConfiguration(conda_dependencies=CondaDependencies.create(["pandas"]))
    run_config.target = "cpu-cluster"
    run_config.environment.docker.enabled = True
    run_config.docker.use_docker = True
    run_config.environment.docker.base_image = DEFAULT_CPU_IMAGE
    assert run_config.environment.python.conda_dependencies.pip_packages == ["pandas"]
    assert run_config.environment.docker.use_docker
    run_config.docker = DockerConfiguration(use_docker=True)
    assert run_config.docker.use_docker and run_config.target == "cpu-cluster"


def _pipeline(ws, tmp_path, runconfig, target=None):
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "train.py").write_text("print('hi')")
    step = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(tmp_path / "src"),
        runconfig=runconfig,
        compute_target=target,
    )
    return Pipeline(workspace=ws, steps=[step])


def test_a_worker_step_warns_once_about_packages_its_interpreter_lacks(ws, tmp_path):
    run_config = RunConfiguration()
    run_config.environment = Environment("needs-more")
    run_config.environment.python.conda_dependencies = CondaDependencies.create(
        pip_packages=[MISSING, "pandas", "azureml-defaults"], conda_packages=["python=3.10"]
    )
    pipeline = _pipeline(ws, tmp_path, run_config)
    with pytest.warns(EnvironmentPackagesWarning) as caught:
        plan = pipeline.plan()
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "lists packages that" in message and message.endswith("(env.docker.base_image)")
    assert f": {MISSING}. " in message  # pandas is installed, azureml-* is mlpipelines
    assert plan.tasks[0].definition.interpreter is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipeline.plan()  # once per process
        run_config.environment.python.user_managed_dependencies = True
        run_config.environment.name = "mine"
        pipeline.plan()  # the user vouches for the interpreter


def test_a_container_target_runs_the_environment_base_image(ws, tmp_path):
    config = AmlCompute.provisioning_configuration(backend="docker", image="step:1")
    target = ComputeTarget.create(ws, "boxes", config)
    run_config = RunConfiguration()
    run_config.environment.python.conda_dependencies.add_pip_package(MISSING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the image is the user's business, not the worker's
        plan = _pipeline(ws, tmp_path, run_config, target).plan()
        assert plan.tasks[0].definition.compute.image == "step:1"  # AML's default image
        run_config.environment.docker.base_image = "registry.example/train:2"
        plan = _pipeline(ws, tmp_path, run_config, target).plan()
    assert plan.tasks[0].definition.compute.image == "registry.example/train:2"
    assert plan.tasks[0].definition.compute.backend == "docker"
