"""Environments and run configurations (the old SDK's ``Environment``, ``RunConfiguration``):
what a script step runs with. Here that is an interpreter and, on pod and container
targets, an image; ``model.step_environment`` says how a step's environment maps onto them.

Registered environments are numbered, immutable records on the default datastore.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.conda_dependencies import CondaDependencies
from mlpipelines.records.reserved import INTERNAL_FOLDER

# The old SDK's default base images. Kept as they were so code that names or compares them
# works; a step whose environment names one of AML's images runs on its target's own image.
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04"
AML_IMAGE_PREFIX = "mcr.microsoft.com/azureml/"
# Azure ML's curated environments: here, the worker's interpreter (or the target's image).
CURATED_PREFIX = "azureml-"
REGISTRY = f"{INTERNAL_FOLDER}/environments"


class PythonSection:
    """``env.python``: the interpreter (None: the worker's own) and the packages it should
    have. ``user_managed_dependencies=True`` says the interpreter has what it needs."""

    def __init__(self) -> None:
        self.interpreter_path: str | None = None
        self.user_managed_dependencies = False
        self.conda_dependencies = CondaDependencies()
        self.conda_dependencies_file: str | None = None
        self.base_conda_environment: str | None = None


class DockerSection:
    """``env.docker``: ``base_image`` becomes the step image on pod and container targets
    (one of AML's own images keeps the target's); ``enabled`` is kept, the target decides."""

    def __init__(self) -> None:
        self.enabled = False
        self.base_image: str | None = DEFAULT_CPU_IMAGE
        self.base_dockerfile: str | None = None
        self.base_image_registry: Any = None
        self.arguments: list[str] = []
        self.shm_size: str | None = None
        self.gpu_support = False
        self.shared_volumes = True

    @property
    def use_docker(self) -> bool:
        return self.enabled

    @use_docker.setter
    def use_docker(self, value: bool) -> None:
        self.enabled = bool(value)


class SparkSection:
    """``env.spark``: Spark packages and repositories a step asks for; kept with the
    environment (a DatabricksStep takes its libraries as ``*_libraries=``)."""

    def __init__(self) -> None:
        self.repositories: list[str] = []
        self.packages: list[Any] = []
        self.precache_packages = True


class DockerConfiguration:
    """``DockerConfiguration(use_docker=True)`` (``run_config.docker``): kept; the compute
    target decides whether a step runs in a container."""

    def __init__(
        self,
        use_docker: bool = False,
        arguments: list[str] | None = None,
        shared_volumes: bool = True,
        shm_size: str | None = None,
    ) -> None:
        self.use_docker = use_docker
        self.arguments = list(arguments or [])
        self.shared_volumes = shared_volumes
        self.shm_size = shm_size


class Environment:
    """``Environment(name)``: an interpreter, its packages, an image and variables."""

    def __init__(self, name: str = "default") -> None:
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self.spark = SparkSection()
        self.environment_variables: dict[str, str] = {}
        self.inferencing_stack_version: str | None = None

    # -- building ------------------------------------------------------------------------
    @staticmethod
    def from_conda_specification(name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An environment holding the packages of a conda YAML file."""
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(file_path)
        return env

    @staticmethod
    def from_pip_requirements(
        name: str, file_path: str | os.PathLike[str], pip_version: str | None = None
    ) -> Environment:
        """An environment holding the packages of a pip requirements file."""
        try:
            lines = Path(file_path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UserErrorException(f"cannot read requirements file {file_path}: {exc}") from None
        env = Environment(name)
        for line in lines:
            text = line.split(" #", 1)[0].strip()
            if not text or text.startswith("#"):
                continue
            if text.startswith("-"):
                env.python.conda_dependencies.set_pip_option(text)
            else:
                env.python.conda_dependencies.add_pip_package(text)
        if pip_version:
            env.python.conda_dependencies.add_conda_package(f"pip={pip_version}")
        return env

    @staticmethod
    def from_docker_image(
        name: str,
        image: str,
        container_registry: Any = None,
        conda_specification: str | os.PathLike[str] | None = None,
        pip_requirements: str | os.PathLike[str] | None = None,
    ) -> Environment:
        """An environment whose image is ``image`` (the step image on pod and container
        targets), with the packages of a conda or pip file if given."""
        env = _with_packages(name, conda_specification, pip_requirements)
        env.docker.base_image = image
        env.docker.base_image_registry = container_registry
        return env

    @staticmethod
    def from_dockerfile(
        name: str,
        dockerfile: str | os.PathLike[str],
        conda_specification: str | os.PathLike[str] | None = None,
        pip_requirements: str | os.PathLike[str] | None = None,
    ) -> Environment:
        """An environment described by a Dockerfile (a path or its text). Nothing builds
        images here: the Dockerfile is kept, and the step runs on its target's own image."""
        env = _with_packages(name, conda_specification, pip_requirements)
        text = str(dockerfile)
        if "\n" not in text and Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8")
        env.docker.base_image = None
        env.docker.base_dockerfile = text
        return env

    def clone(self, new_name: str) -> Environment:
        env = copy.deepcopy(self)
        env.name, env.version = new_name, None
        return env

    # -- the workspace's environments ----------------------------------------------------
    def register(self, workspace: Any) -> Environment:
        """Keep this environment in the workspace: the next version, unless the latest one is
        the same (then that one). Returns the registered environment, its version set."""
        records = _registry(workspace)
        body = self.to_json()
        versions = records.versions(records.check_name(self.name))
        if versions and records.read(self.name, versions[-1])["definition"] == body:
            self.version = str(versions[-1])
            return self
        record = records.create_next(self.name, lambda v: {"version": v, "definition": body})
        self.version = str(record["version"])
        return self

    @staticmethod
    def get(
        workspace: Any, name: str, version: str | int | None = None, label: Any = None
    ) -> Environment:
        """A registered environment (latest, or ``version``); an Azure ML curated name
        ("AzureML-Minimal", "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", ...) not registered
        here is the default: the worker's interpreter, or the target's image."""
        records = _registry(workspace)
        if records.versions(name) or not name.lower().startswith(CURATED_PREFIX):
            record = records.read(name, version)
            env = Environment.from_json(name, record["definition"])
            env.version = str(record["version"])
            return env
        env = Environment(name)
        env.python.user_managed_dependencies = True
        return env

    @staticmethod
    def list(workspace: Any) -> dict[str, Environment]:
        """The latest version of each registered environment, by name."""
        records = _registry(workspace)
        return {name: Environment.get(workspace, name) for name in records.names()}

    # -- as JSON -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        deps = self.python.conda_dependencies
        return {
            "python": {
                "interpreter_path": self.python.interpreter_path,
                "user_managed_dependencies": self.python.user_managed_dependencies,
                "conda_dependencies": deps._as_dict() if deps is not None else None,
            },
            "docker": {"enabled": self.docker.enabled, "base_image": self.docker.base_image},
            "environment_variables": dict(self.environment_variables),
        }

    @staticmethod
    def from_json(name: str, data: dict[str, Any]) -> Environment:
        env = Environment(name)
        python = data.get("python") or {}
        env.python.interpreter_path = python.get("interpreter_path")
        env.python.user_managed_dependencies = bool(python.get("user_managed_dependencies"))
        deps = python.get("conda_dependencies")
        env.python.conda_dependencies = CondaDependencies(_underlying_structure=deps)
        docker = data.get("docker") or {}
        env.docker.enabled = bool(docker.get("enabled"))
        env.docker.base_image = docker.get("base_image")
        env.environment_variables = dict(data.get("environment_variables") or {})
        return env

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, version={self.version!r})"


class RunConfiguration:
    """``RunConfiguration()``: passed as a PythonScriptStep's ``runconfig``; its
    ``environment`` is what the step runs with (``model.step_environment``)."""

    def __init__(
        self,
        script: str | None = None,
        arguments: list[Any] | None = None,
        framework: str = "Python",
        communicator: str = "None",
        conda_dependencies: CondaDependencies | None = None,
        **_: Any,
    ) -> None:
        self.script = script
        self.arguments = list(arguments or [])
        self.framework = framework
        self.communicator = communicator
        self.environment = Environment()
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies
        self.docker = DockerConfiguration()
        self.target: Any = "local"
        self.node_count = 1
        self.prepare_environment = False


def _registry(workspace: Any) -> Any:
    from mlpipelines.storage.versioned_records import VersionedRecords, default_store

    return VersionedRecords(default_store(workspace), REGISTRY, "environment")


def _with_packages(
    name: str,
    conda_specification: str | os.PathLike[str] | None,
    pip_requirements: str | os.PathLike[str] | None,
) -> Environment:
    if conda_specification is not None:
        return Environment.from_conda_specification(name, conda_specification)
    if pip_requirements is not None:
        return Environment.from_pip_requirements(name, pip_requirements)
    return Environment(name)
