"""What a script step's environment (its RunConfiguration's ``environment``) changes about
where it runs: on a pod or container target, a ``docker.base_image`` of the user's own is the
step's image; on the worker, the step runs with the worker's interpreter (or
``python.interpreter_path``), and packages the environment lists but that interpreter lacks
are named in one warning, when the pipeline is planned. Nothing is ever installed.
"""

from __future__ import annotations

import functools
import sys
import warnings
from dataclasses import replace
from importlib import metadata
from typing import Any

from mlpipelines.model.conda_dependencies import requirement_name
from mlpipelines.model.environment import AML_IMAGE_PREFIX
from mlpipelines.records.engines import CONTAINER_BACKENDS, ComputeSettings

# Names an environment lists that are not packages a step needs from its interpreter: the
# interpreter itself, its installer, and the old SDK (mlpipelines is its stand-in).
_NOT_PACKAGES = ("python", "pip", "setuptools", "wheel", "mlpipelines")
_PROVIDED_PREFIX = "azureml"
_warned: set[tuple[str, ...]] = set()


class EnvironmentPackagesWarning(UserWarning):
    """An environment lists packages the interpreter its step runs with does not have."""


def environment_of(step: Any) -> Any:
    """The environment of a step's run configuration, if it has one."""
    return getattr(getattr(step, "runconfig", None), "environment", None)


def environment_interpreter(step: Any) -> str | None:
    """The Python the step's environment names (``python.interpreter_path``), if any; None
    runs the worker's own."""
    python = getattr(environment_of(step), "python", None)
    return getattr(python, "interpreter_path", None)


def environment_variables(step: Any) -> dict[str, str]:
    """The variables the step's environment sets for its process."""
    return dict(getattr(environment_of(step), "environment_variables", None) or {})


def custom_image(environment: Any) -> str | None:
    """The environment's base image when it is the user's own (not one of Azure ML's)."""
    image = getattr(getattr(environment, "docker", None), "base_image", None)
    if not isinstance(image, str) or not image.strip() or image.startswith(AML_IMAGE_PREFIX):
        return None
    return image.strip()


def step_compute(step: Any, compute: ComputeSettings | None) -> ComputeSettings | None:
    """The step's compute settings with its environment applied: a container target gets the
    environment's own image; a step on the worker warns about missing packages."""
    environment = environment_of(step)
    if environment is None:
        return compute
    if compute is not None and compute.backend in CONTAINER_BACKENDS:
        image = custom_image(environment)
        return replace(compute, image=image) if image else compute
    if compute is None or compute.backend == "local":
        warn_missing_packages(step.name, environment)
    return compute


def missing_packages(environment: Any) -> list[str]:
    """The packages the environment lists that this interpreter has not installed."""
    deps = getattr(environment.python, "conda_dependencies", None)
    if deps is None:
        return []
    names = [requirement_name(s) for s in [*deps.conda_packages, *deps.pip_packages]]
    wanted = [
        n
        for n in dict.fromkeys(names)
        if n and n not in _NOT_PACKAGES and not n.startswith(_PROVIDED_PREFIX)
    ]
    return [n for n in wanted if not _installed(n)]


def warn_missing_packages(step_name: str, environment: Any) -> None:
    """Warn once per process and set of packages when a worker step's environment lists
    packages the worker's interpreter lacks (an interpreter of the user's own is not checked)."""
    python = environment.python
    if python.user_managed_dependencies or python.interpreter_path:
        return
    missing = missing_packages(environment)
    key = (environment.name, *missing)
    if not missing or key in _warned:
        return
    _warned.add(key)
    warnings.warn(
        f"step '{step_name}': environment '{environment.name}' lists packages that "
        f"{sys.executable} does not have: {', '.join(missing)}. Steps on the worker run with "
        "the worker's interpreter and nothing is installed for them: install these on the "
        "workers, set env.python.interpreter_path to an interpreter that has them "
        "(user_managed_dependencies=True), or run the step on a pod or container target "
        "whose image has them (env.docker.base_image)",
        EnvironmentPackagesWarning,
        stacklevel=3,
    )


@functools.lru_cache(maxsize=512)
def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True
