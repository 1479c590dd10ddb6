"""Run one CommandStep in a task: its command as an argv list in a staged copy of its source
folder, under reuse, with the same staging, environment, logs and outputs as a script step.

The program is looked up on the step's PATH, whose first entry is the folder of the step's
Python (its environment's interpreter, else the worker's), as in an activated environment:
``python x.py`` runs the Python a PythonScriptStep would, with ``Run.get_context()``. A path
with a slash (``./run.sh``), or a name found on no PATH entry, is a file of the snapshot.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition
from mlpipelines.runtime.argument_words import argument_words
from mlpipelines.runtime.python_script import StagedRun, run_staged
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, run_with_reuse


def run_command_step(
    definition: StepDefinition,
    ctx: StepContext,
    interpreter: str | None = None,
    extra_env: dict[str, str] | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else run the command once.

    Raises StepHeld while another run computes the same key, and StepRunError when the
    program cannot be found or exits with an error (exit code, stderr tail).
    """
    python = interpreter or definition.interpreter or sys.executable
    base_path = definition.environment_variables.get("PATH", os.environ.get("PATH", os.defpath))
    search_path = os.pathsep.join([os.path.dirname(python), base_path])
    env = {**(extra_env or {}), "PATH": search_path}

    def argv_for(source: Path, inputs: dict[str, Any], outputs: dict[str, Path]) -> list[str]:
        argv = command_argv(definition, ctx.params, inputs, outputs)
        return [program_path(argv[0], source, search_path, definition.name), *argv[1:]]

    what = "command " + shlex.join(t.describe() for t in definition.arguments[:3])
    return run_with_reuse(
        definition,
        ctx,
        lambda check, located: run_staged(
            definition, ctx, StagedRun(check, located, argv_for, what), env, on_start
        ),
    )


def command_argv(
    definition: StepDefinition,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
) -> list[str]:
    """The command's words as argv (``runtime.argument_words``, every reference known)."""
    return argument_words(definition, params, inputs, outputs, strict=True)


def program_path(program: str, source: Path, search_path: str, step_name: str) -> str:
    """Where the command's program is: on ``search_path`` (a bare name), else in the staged
    snapshot ``source`` (a path with a slash, or a bare name of a file there). A script of
    the snapshot is made executable in the staged copy (a snapshot keeps no modes)."""
    if "/" not in program:
        found = shutil.which(program, path=search_path)
        if found is not None:
            return found
    candidate = Path(program) if os.path.isabs(program) else source / program
    if not candidate.is_file():
        raise StepRunError(
            f"step '{step_name}': program '{program}' is neither on the worker's PATH nor a "
            f"file of the step's source snapshot (PATH: {search_path})"
        )
    if not os.access(candidate, os.X_OK) and source.resolve() in candidate.resolve().parents:
        candidate.chmod(candidate.stat().st_mode | stat.S_IXUSR)
    return str(candidate)
