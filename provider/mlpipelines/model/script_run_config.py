"""``ScriptRunConfig``: what to run (a script with arguments, or a command), from which source
folder, on which target, with which environment. A CommandStep takes one as its ``runconfig``
(``Experiment.submit`` of one alone runs it as a pipeline of one step).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.model.azure_only import MPI
from mlpipelines.model.environment import Environment, RunConfiguration


class ScriptRunConfig:
    """``ScriptRunConfig(source_directory, script=None, arguments=None, run_config=None,
    compute_target=None, environment=None, command=None, ...)``.

    Give ``script`` (with ``arguments``) or ``command``, not both. The environment and the
    target are kept on ``run_config`` as the old SDK kept them; distributed settings, resume
    and Docker runtime settings are accepted and have no effect here.
    """

    def __init__(
        self,
        source_directory: str | os.PathLike[str] = ".",
        script: str | None = None,
        arguments: list[Any] | None = None,
        run_config: RunConfiguration | None = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Environment | None = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        command: str | list[Any] | None = None,
        docker_runtime_config: Any = None,
    ) -> None:
        if script is not None and command is not None:
            raise UserErrorException(
                "ScriptRunConfig: give script= (with arguments=) or command=, not both"
            )
        if command is not None and arguments:
            raise UserErrorException(
                "ScriptRunConfig: arguments= go with script=; with command=, put them "
                "in the command"
            )
        self.source_directory = os.fspath(source_directory)
        self.script = script
        self.arguments = list(arguments or [])
        self.command = command
        self.run_config = run_config if run_config is not None else RunConfiguration()
        if environment is not None:
            self.run_config.environment = environment
        if compute_target is not None:
            self.run_config.target = compute_target
        self.distributed_job_config = distributed_job_config
        if distributed_job_config is not None:
            warnings.warn(
                f"ScriptRunConfig: distributed_job_config {distributed_job_config!r} is kept but "
                "the command runs as one process on one worker; for a distributed run use "
                + MPI.alternative,
                UserWarning,
                stacklevel=2,
            )
        self.max_run_duration_seconds = max_run_duration_seconds

    @property
    def environment(self) -> Environment:
        """The environment the run uses (``run_config.environment``); a PythonScriptStep
        given this config as ``runconfig`` runs with it too."""
        environment: Environment = self.run_config.environment
        return environment

    @property
    def compute_target(self) -> Any:
        """The target given, or None where the run configuration keeps the default."""
        target = self.run_config.target
        return None if target == "local" else target

    def _submit_as_experiment(self, experiment: Any, **kwargs: Any) -> Any:
        """``Experiment.submit(config)``: runs as a pipeline of one step (named after the
        script, or ``command``), never reused, as the old SDK's script runs always ran; the
        returned run answers for its step (metrics, ``outputs/`` files, ``register_model``)."""
        return experiment.submit(self.as_step_graph(experiment.workspace), **kwargs)

    def as_step_graph(self, workspace: Any) -> Any:
        """This configuration as a graph of one step: a PythonScriptStep for ``script``, a
        CommandStep for ``command``."""
        from mlpipelines.model.command_step import CommandStep
        from mlpipelines.model.step_graph import StepGraph
        from mlpipelines.model.steps import PythonScriptStep

        if self.script is not None:
            step: Any = PythonScriptStep(
                script_name=self.script,
                name=Path(self.script).stem or "script",
                arguments=self.arguments,
                compute_target=self.compute_target,
                runconfig=self.run_config,
                source_directory=self.source_directory,
                allow_reuse=False,
            )
        elif self.command is not None:
            step = CommandStep(name="command", runconfig=self, allow_reuse=False)
        else:
            raise UserErrorException("ScriptRunConfig: give script= (with arguments=) or command=")
        return StepGraph(workspace, [step])

    def __repr__(self) -> str:
        what = f"script={self.script!r}"
        if self.command is not None:
            what = f"command={self.command!r}"
        return f"ScriptRunConfig(source_directory={self.source_directory!r}, {what})"
