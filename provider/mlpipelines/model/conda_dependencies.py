"""``CondaDependencies``: the old SDK's conda environment specification (python version,
channels, conda and pip packages), read from and written as conda YAML.

Nothing is ever installed from it: a step runs with its interpreter (or its container image),
and ``model.environment`` says which packages that interpreter lacks.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException

DEFAULT_NAME = "project_environment"
DEFAULT_CHANNELS = ("anaconda", "conda-forge")
# A requirement's name ends where its version, extras, marker or URL begins.
_NAME_END = re.compile(r"\s*(\[|[=<>!~;@ ]|$)")


def requirement_name(spec: str) -> str:
    """The package name of a pip or conda requirement ("scikit-learn==1.4", "conda-forge::numpy
    >=1.2", "torch[cuda] ; sys_platform=='linux'"), lower-cased."""
    text = spec.strip().split("::")[-1]
    match = _NAME_END.search(text)
    return text[: match.start() if match else len(text)].strip().lower()


class CondaDependencies:
    """``CondaDependencies(conda_dependencies_file_path=None)``: an environment's packages."""

    def __init__(
        self,
        conda_dependencies_file_path: str | os.PathLike[str] | None = None,
        _underlying_structure: dict[str, Any] | None = None,
    ) -> None:
        self.name = DEFAULT_NAME
        self._python: str | None = "{}.{}.{}".format(*sys.version_info[:3])
        self._channels: list[str] = list(DEFAULT_CHANNELS)
        self._conda: list[str] = []
        self._pip: list[str] = []
        self._pip_options: list[str] = []
        if conda_dependencies_file_path is not None:
            _underlying_structure = _read_yaml(Path(conda_dependencies_file_path))
        if _underlying_structure is not None:
            self._load(_underlying_structure)

    @staticmethod
    def create(
        pip_packages: list[str] | None = None,
        conda_packages: list[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
        pip_indexurl: str | None = None,
    ) -> CondaDependencies:
        """Packages as lists; ``pin_sdk_version`` is accepted (the SDK is mlpipelines)."""
        deps = CondaDependencies()
        if python_version:
            deps.set_python_version(python_version)
        for package in pip_packages or []:
            deps.add_pip_package(package)
        for package in conda_packages or []:
            deps.add_conda_package(package)
        if pip_indexurl:
            deps.set_pip_option(f"--index-url {pip_indexurl}")
        return deps

    # -- reading -------------------------------------------------------------------------
    @property
    def pip_packages(self) -> list[str]:
        return list(self._pip)

    @property
    def conda_packages(self) -> list[str]:
        return list(self._conda)

    @property
    def conda_channels(self) -> list[str]:
        return list(self._channels)

    @property
    def pip_options(self) -> list[str]:
        return list(self._pip_options)

    def get_python_version(self) -> str | None:
        return self._python

    # -- changing ------------------------------------------------------------------------
    def add_pip_package(self, pip_package: str) -> None:
        """Add a pip requirement; one for the same package replaces it."""
        self._pip = _replaced(self._pip, _checked(pip_package, "pip package"))

    def add_conda_package(self, conda_package: str) -> None:
        """Add a conda package; one for the same package replaces it."""
        self._conda = _replaced(self._conda, _checked(conda_package, "conda package"))

    def remove_pip_package(self, pip_package: str) -> None:
        name = requirement_name(pip_package)
        self._pip = [p for p in self._pip if requirement_name(p) != name]

    def remove_conda_package(self, conda_package: str) -> None:
        name = requirement_name(conda_package)
        self._conda = [p for p in self._conda if requirement_name(p) != name]

    def add_channel(self, channel: str) -> None:
        if _checked(channel, "channel") not in self._channels:
            self._channels.append(channel)

    def remove_channel(self, channel: str) -> None:
        self._channels = [c for c in self._channels if c != channel]

    def set_pip_option(self, pip_option: str) -> None:
        if _checked(pip_option, "pip option") not in self._pip_options:
            self._pip_options.append(pip_option)

    def set_python_version(self, version: str) -> None:
        self._python = _checked(str(version), "python version")

    def merge(self, other: CondaDependencies) -> CondaDependencies:
        """A copy holding this one's packages, channels and options, then the other's."""
        merged = CondaDependencies(_underlying_structure=self._as_dict())
        for package in other.pip_packages:
            merged.add_pip_package(package)
        for package in other.conda_packages:
            merged.add_conda_package(package)
        for channel in other.conda_channels:
            merged.add_channel(channel)
        return merged

    # -- writing -------------------------------------------------------------------------
    def serialize_to_string(self) -> str:
        """The conda YAML (``conda env create -f`` reads it)."""
        import yaml

        return str(yaml.safe_dump(self._as_dict(), sort_keys=False, default_flow_style=False))

    def save(self, path: str | os.PathLike[str] | None = None) -> str:
        """Write the YAML to ``path`` (default ``./conda_dependencies.yml``); the path."""
        target = Path(path or "conda_dependencies.yml")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.serialize_to_string(), encoding="utf-8")
        return str(target)

    def save_to_file(
        self, base_directory: str | os.PathLike[str], conda_file_path: str | None = None
    ) -> str:
        """Write the YAML to ``base_directory/conda_file_path`` (default
        ``conda_dependencies.yml``); the path."""
        return self.save(Path(base_directory) / (conda_file_path or "conda_dependencies.yml"))

    def _as_dict(self) -> dict[str, Any]:
        dependencies: list[Any] = [f"python={self._python}"] if self._python else []
        dependencies += self._conda
        if self._pip or self._pip_options:
            dependencies += ["pip", {"pip": [*self._pip_options, *self._pip]}]
        return {"name": self.name, "dependencies": dependencies, "channels": self._channels}

    def _load(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict):
            raise UserErrorException("a conda specification must be a YAML mapping")
        self.name = str(data.get("name") or DEFAULT_NAME)
        self._channels = [str(c) for c in data.get("channels") or []]
        self._python = None
        self._conda, self._pip, self._pip_options = [], [], []
        for item in data.get("dependencies") or []:
            if isinstance(item, dict):
                for entry in item.get("pip") or []:
                    target = self._pip_options if str(entry).startswith("-") else self._pip
                    target.append(str(entry))
            elif requirement_name(str(item)) == "python":
                self._python = str(item).split("=", 1)[1].lstrip("=") if "=" in str(item) else None
            elif requirement_name(str(item)) != "pip":
                self._conda.append(str(item))

    def __repr__(self) -> str:
        return f"CondaDependencies(conda={self._conda!r}, pip={self._pip!r})"


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserErrorException(f"cannot read conda specification {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UserErrorException(f"conda specification {path} must be a YAML mapping")
    return data


def _checked(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserErrorException(f"a {what} must be a non-empty string, not {value!r}")
    return value.strip()


def _replaced(specs: list[str], spec: str) -> list[str]:
    name = requirement_name(spec)
    return [s for s in specs if requirement_name(s) != name] + [spec]
