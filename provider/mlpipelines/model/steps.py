"""Steps: the units of work of a pipeline. Plain records; the translator turns them into tasks."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException
from mlpipelines.model.compute import compute_name
from mlpipelines.model.data import PipelineData
from mlpipelines.model.output_dataset import OutputFileDatasetConfig
from mlpipelines.model.step_environment import environment_interpreter, environment_variables
from mlpipelines.model.step_io import with_argument_data


def _defining_folder() -> str:
    """The folder of the file that called into mlpipelines (a DAG file, a script); else the cwd.

    Relative source directories resolve against it, so a DAG file works whatever the DAG
    processor's working directory is.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "mlpipelines" and not module.startswith("mlpipelines."):
            file = frame.f_globals.get("__file__")
            return os.path.dirname(os.path.abspath(file)) if file else os.getcwd()
        frame = frame.f_back
    return os.getcwd()


def _resolve_source(source_directory: str | None, defined_in: str) -> str:
    # String paths, not pathlib: this runs once per step at DAG parse time.
    if source_directory is None:
        return defined_in
    given = os.path.expanduser(source_directory)
    if os.path.isabs(given):
        return given
    beside = os.path.join(defined_in, given)
    if os.path.isdir(beside) or not os.path.isdir(given):
        return beside
    return os.path.abspath(given)


def warn_ignored_hash_paths(step_name: str) -> None:
    """Say that ``hash_paths`` has no effect; called from a step's ``__init__``."""
    warnings.warn(
        f"step '{step_name}': hash_paths is ignored; every file of the source snapshot "
        "(less .amlignore/.gitignore matches) is hashed",
        UserWarning,
        stacklevel=3,
    )


class Step:
    """What every step has: a name, data in and out, where it runs, and whether it may be reused."""

    kind: ClassVar[str] = "step"
    # Steps that run a script from a source folder set these; the snapshot, validation of
    # the script's place and the reuse key's source hash all follow from them.
    script_name: str | None = None
    source_directory: str | None = None

    def __init__(
        self,
        name: str,
        inputs: list[Any] | None = None,
        outputs: list[Any] | None = None,
        compute_target: Any = None,
        allow_reuse: bool = True,
        version: str | None = None,
        arguments: list[Any] | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise UserErrorException(f"step name must be a string, got {name!r}")
        self.name = name
        # Data named only in ``arguments`` is an input or output too, as in Azure ML.
        self.inputs, self.outputs = with_argument_data(
            list(arguments or []), list(inputs or []), list(outputs or [])
        )
        self.compute_target = compute_target
        self.allow_reuse = allow_reuse
        self.version = version
        self._run_after: list[Step] = []
        self._defined_in = _defining_folder()
        taken = {n for o in self.outputs if isinstance(n := getattr(o, "name", None), str)}
        for output in self.outputs:
            if isinstance(output, OutputFileDatasetConfig) and not output.name:
                output.name_for_producer(name, taken)
                taken.add(output.name)
            if isinstance(output, PipelineData) and self not in output._producers:
                output._producers.append(self)

    @property
    def compute_target_name(self) -> str:
        return compute_name(self.compute_target)

    def run_after(self, step: Step) -> None:
        """Run this step only after ``step`` has finished, with no data passing between them."""
        self._run_after.append(step)

    @property
    def argument_values(self) -> list[Any]:
        """The step's arguments as given (data and parameters still objects)."""
        return []

    @property
    def resolved_source_directory(self) -> Path:
        """The absolute source folder: as given, else relative to the defining file's folder
        (or the cwd, where only that holds it, as the old SDK resolved it)."""
        return Path(self.source_folder)

    @property
    def source_folder(self) -> str:
        """``resolved_source_directory`` as a string, worked out once per value of
        ``source_directory`` (validation and planning both ask, at every DAG parse)."""
        cached = self.__dict__.get("_source_folder")
        if cached is None or cached[0] != self.source_directory:
            cached = (
                self.source_directory,
                _resolve_source(self.source_directory, self._defined_in),
            )
            self.__dict__["_source_folder"] = cached
        folder: str = cached[1]
        return folder

    @property
    def param_values(self) -> dict[str, Any]:
        return {}

    def definition_extras(self) -> dict[str, Any]:
        """What only this kind of step adds to its planned definition: ``StepDefinition``
        fields by name (typed records, see ``mlpipelines.records``)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class PythonScriptStep(Step):
    """Runs ``python script_name *arguments`` in a copy of ``source_directory``."""

    kind: ClassVar[str] = "python_script"

    def __init__(
        self,
        script_name: str,
        name: str | None = None,
        arguments: list[Any] | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: dict[str, Any] | None = None,
        inputs: list[Any] | None = None,
        outputs: list[Any] | None = None,
        params: dict[str, Any] | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: list[str] | None = None,
        target: Any = None,
    ) -> None:
        if compute_target is not None and target is not None:
            raise UserErrorException("pass compute_target= or target=, not both")
        super().__init__(
            name=name if name is not None else str(script_name),
            inputs=inputs,
            outputs=outputs,
            compute_target=compute_target if compute_target is not None else target,
            allow_reuse=allow_reuse,
            version=version,
            arguments=arguments,
        )
        self.script_name = script_name
        self.arguments = list(arguments or [])
        self.runconfig = runconfig
        self.runconfig_pipeline_params = runconfig_pipeline_params
        self.params = dict(params or {})
        self.source_directory = None if source_directory is None else os.fspath(source_directory)
        self.hash_paths = hash_paths
        if hash_paths:
            warn_ignored_hash_paths(self.name)

    @property
    def argument_values(self) -> list[Any]:
        return self.arguments

    @property
    def param_values(self) -> dict[str, Any]:
        return self.params

    @property
    def interpreter(self) -> str | None:
        """The Python the run configuration names, if any (default: the worker's own)."""
        return environment_interpreter(self)

    @property
    def environment_variables(self) -> dict[str, str]:
        """Extra environment variables the run configuration's environment sets."""
        return environment_variables(self)

    def definition_extras(self) -> dict[str, Any]:
        return {
            "interpreter": self.interpreter,
            "environment_variables": self.environment_variables,
        }
