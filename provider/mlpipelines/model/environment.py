"""Run configurations: which Python a script step runs with (the old SDK's RunConfiguration)."""

from __future__ import annotations


class PythonSection:
    """The Python of an environment; ``interpreter_path`` None means the worker's own."""

    def __init__(self) -> None:
        self.interpreter_path: str | None = None
        self.user_managed_dependencies = True


class Environment:
    """A named environment. Only ``python.interpreter_path`` changes how steps run here:
    dependencies are whatever that interpreter has installed."""

    def __init__(self, name: str = "default") -> None:
        self.name = name
        self.python = PythonSection()
        self.environment_variables: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r})"


class RunConfiguration:
    """``RunConfiguration()``: passed as a PythonScriptStep's ``runconfig``."""

    def __init__(self, script: str | None = None, framework: str = "Python") -> None:
        self.script = script
        self.framework = framework
        self.environment = Environment()
        self.target = "local"
