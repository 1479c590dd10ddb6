"""``CommandStep``: runs a command (``"Rscript train.R --n 3"``, ``["./run.sh", data]``) in a copy
of its source folder, as an argv list: never through a shell unless the command starts one.

Strings are split into words as a shell splits them (in a list, each string item is split;
any other item, data or a PipelineParameter, is one word), so the old SDK's forms keep their
meaning: ``['python train.py --data', dataset.as_mount()]``.
"""

from __future__ import annotations

import os
import shlex
from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.step_environment import environment_interpreter, environment_variables
from mlpipelines.model.step_io import input_name, is_argument_data
from mlpipelines.model.steps import Step
from mlpipelines.records.command_words import references, split_words

_SCALARS = (str, int, float, bool)


class CommandStep(Step):
    """``CommandStep(command=None, name=None, compute_target=None, runconfig=None,
    runconfig_pipeline_params=None, inputs=None, outputs=None, params=None,
    source_directory=None, allow_reuse=True, version=None)``.

    ``runconfig`` may be a ScriptRunConfig (its command or script, source folder, target and
    environment are the step's where the step does not name its own) or a RunConfiguration
    (its environment).
    """

    kind: ClassVar[str] = "command"

    def __init__(
        self,
        command: str | list[Any] | None = None,
        name: str | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: dict[str, Any] | None = None,
        inputs: list[Any] | None = None,
        outputs: list[Any] | None = None,
        params: dict[str, Any] | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
    ) -> None:
        if is_script_run_config(runconfig):
            if command is None:
                command = _command_of(runconfig)
            if source_directory is None:
                source_directory = runconfig.source_directory
            if compute_target is None:
                compute_target = runconfig.compute_target
            runconfig = runconfig.run_config
        label = name if name is not None else "CommandStep"
        words = command_words(command, label)
        first = words[0]
        if not isinstance(first, str):
            raise UserErrorException(
                f"CommandStep '{label}': the command must start with the program to run, "
                f"not {first!r}"
            )
        super().__init__(
            name=name if name is not None else f"CommandStep_{first}",
            inputs=inputs,
            outputs=outputs,
            compute_target=compute_target,
            allow_reuse=allow_reuse,
            version=version,
            arguments=words,
        )
        self.command = command
        self.words = words
        self.runconfig = runconfig
        self.runconfig_pipeline_params = runconfig_pipeline_params
        self.params = dict(params or {})
        self.source_directory = None if source_directory is None else os.fspath(source_directory)
        if self.source_directory is not None and not os.path.isdir(self.source_folder):
            raise UserErrorException(
                f"CommandStep '{self.name}': source_directory '{self.source_folder}' does "
                "not exist (leave it out for programs already on the workers)"
            )
        self._check_references()

    def _check_references(self) -> None:
        """Every ``$AZUREML_DATAREFERENCE_x`` in the command names the step's data, and every
        ``$AML_PARAMETER_x`` one of its params."""
        known = {
            "data": {str(input_name(i)) for i in self.inputs} | {o.name for o in self.outputs},
            "param": {str(k) for k in self.params},
        }
        for word in self.words:
            if not isinstance(word, str):
                continue
            for role, ref in references(word):
                if ref in known[role]:
                    continue
                what = "input or output" if role == "data" else "params entry"
                have = ", ".join(sorted(known[role])) or "none"
                raise UserErrorException(
                    f"CommandStep '{self.name}': the command refers to '{word}', but the step "
                    f"has no {what} named '{ref}' (it has: {have})"
                )

    @property
    def argument_values(self) -> list[Any]:
        """The command's words (the program first), data and parameters still objects."""
        return self.words

    @property
    def param_values(self) -> dict[str, Any]:
        return self.params

    def definition_extras(self) -> dict[str, Any]:
        return {
            "source_directory": self.source_folder,
            "interpreter": environment_interpreter(self),
            "environment_variables": environment_variables(self),
        }


def command_words(command: Any, step_name: str) -> list[Any]:
    """A command as words: each string split as a shell splits words (no expansion), any
    other item (data, a PipelineParameter, a number) one word. Refuses an empty command, an
    unclosed quote and items that are neither."""
    items = [] if command is None else [command] if isinstance(command, str) else command
    if not isinstance(items, (list, tuple)):
        raise UserErrorException(
            f"CommandStep '{step_name}': command must be a string or a list, got {command!r}"
        )
    words: list[Any] = []
    for item in items:
        if isinstance(item, str):
            try:
                words += split_words(item)
            except ValueError as exc:
                raise UserErrorException(
                    f"CommandStep '{step_name}': cannot split {item!r} into words: {exc}"
                ) from None
        elif isinstance(item, (*_SCALARS, PipelineParameter)) or is_argument_data(item):
            words.append(item)
        else:
            raise UserErrorException(
                f"CommandStep '{step_name}': command item {item!r} is not a string, number, "
                "PipelineParameter or data (PipelineData, DataReference, "
                "OutputFileDatasetConfig, a dataset's as_named_input/as_mount/as_download)"
            )
    if not words:
        raise UserErrorException(
            f"CommandStep '{step_name}': the command is empty; give command= or a "
            "ScriptRunConfig with command= or script="
        )
    return words


def is_script_run_config(value: Any) -> bool:
    """Whether ``value`` is a ScriptRunConfig (by shape: it imports this module to submit)."""
    return hasattr(value, "run_config") and hasattr(value, "source_directory")


def _command_of(config: Any) -> Any:
    """A ScriptRunConfig's command; a script with arguments is ``python script *arguments``."""
    if config.command is not None:
        return config.command
    if config.script is not None:
        quoted = [shlex.quote(a) if isinstance(a, str) else a for a in config.arguments]
        return [f"python {shlex.quote(config.script)}", *quoted]
    return None
