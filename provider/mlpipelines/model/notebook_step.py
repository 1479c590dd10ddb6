"""NotebookRunnerStep and its run configuration (``azureml.contrib.notebook``): a Jupyter
notebook executed with papermill as one step, its data and parameters injected as notebook
parameters, the executed notebook kept as an artifact."""

from __future__ import annotations

import json
import keyword
import os
from pathlib import PurePosixPath
from typing import Any, ClassVar

from mlpipelines._naming import IDENTIFIER
from mlpipelines.errors import UserErrorException
from mlpipelines.model.data import PipelineData
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.step_io import input_name
from mlpipelines.model.steps import Step
from mlpipelines.records.notebook import NotebookSettings
from mlpipelines.records.paths import clean_relative_path

PARAMETERS_TAG = "parameters"


def default_output_notebook(notebook: str) -> str:
    """Azure ML's name for the executed notebook: ``<stem>.output<suffix>``."""
    base, suffix = os.path.splitext(notebook)
    return f"{base}.output{suffix}"


class AzureMLNotebookHandler:
    """How papermill executes the notebook: ``timeout`` (seconds a cell may run) and the
    options ``kernel_name``, ``log_output``, ``progress_bar`` and ``cwd``.

    Cell output always reaches the task log and there is no progress bar; ``history`` has
    no effect (metrics logged with ``Run.get_context().log`` always reach the step's
    metrics); the notebook always runs in its snapshot folder (``cwd`` is accepted).
    """

    supported_options: ClassVar[tuple[str, ...]] = (
        "progress_bar",
        "log_output",
        "kernel_name",
        "cwd",
    )

    def __init__(self, history: bool = True, timeout: int | None = None, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(self.supported_options))
        if unknown:
            raise UserErrorException(
                f"{type(self).__name__}: unsupported option(s) {', '.join(unknown)} "
                f"(supported: {', '.join(self.supported_options)})"
            )
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0
        ):
            raise UserErrorException(
                f"{type(self).__name__}: timeout {timeout!r} must be a positive whole number "
                "of seconds"
            )
        self.history = history
        self.timeout = timeout
        self.papermill_args = dict(kwargs)

    @property
    def kernel_name(self) -> str | None:
        name = self.papermill_args.get("kernel_name")
        return None if name is None else str(name)


class PapermillExecutionHandler(AzureMLNotebookHandler):
    """The old, deprecated name of the papermill handler; it also took papermill's
    ``engine_name``, ``prepare_only``, ``start_timeout`` and ``report_mode`` (no effect)."""

    supported_options: ClassVar[tuple[str, ...]] = (
        *AzureMLNotebookHandler.supported_options,
        "engine_name",
        "prepare_only",
        "start_timeout",
        "report_mode",
    )


class NotebookRunConfig:
    """The notebook a NotebookRunnerStep runs: ``notebook`` (relative to
    ``source_directory``), its ``parameters``, the executed notebook's name and the handler.
    ``run_config``'s environment sets the kernel's Python and environment variables."""

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        notebook: str,
        output_notebook: str | None = None,
        parameters: dict[str, Any] | None = None,
        handler: AzureMLNotebookHandler | None = None,
        run_config: Any = None,
        _telemetry_values: Any = None,
    ) -> None:
        if not isinstance(notebook, str) or not notebook.strip():
            raise UserErrorException(f"NotebookRunConfig: notebook {notebook!r} must name a file")
        if parameters is not None and not isinstance(parameters, dict):
            raise UserErrorException(
                f"NotebookRunConfig: parameters must be a dict of name to value, got {parameters!r}"
            )
        self.source_directory = os.fspath(source_directory)
        self.notebook = notebook
        self.output_notebook = output_notebook or default_output_notebook(notebook)
        self.parameters = dict(parameters or {})
        self.handler = handler if handler is not None else AzureMLNotebookHandler()
        self.run_config = run_config
        # Azure ML ran a handler script with the notebook in its arguments; the script here
        # is the notebook itself.
        self.script = notebook


class NotebookRunnerStep(Step):
    """Runs a notebook with papermill in a copy of its source folder.

    Notebook parameters, in the order later ones win: the run configuration's
    ``parameters``, each input's and output's local path under its name, then ``params``
    (a PipelineParameter's value of this run). ``output_notebook_pipeline_data_name`` adds
    an output of that name holding the executed notebook.
    """

    kind: ClassVar[str] = "notebook_runner"

    def __init__(
        self,
        name: str | None = None,
        notebook_run_config: NotebookRunConfig | None = None,
        runconfig_pipeline_params: dict[str, Any] | None = None,
        compute_target: Any = None,
        params: dict[str, Any] | None = None,
        inputs: list[Any] | None = None,
        outputs: list[Any] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        output_notebook_pipeline_data_name: str | None = None,
    ) -> None:
        if name is None or not isinstance(notebook_run_config, NotebookRunConfig):
            raise UserErrorException(
                f"NotebookRunnerStep(name={name!r}): name and notebook_run_config (a "
                "NotebookRunConfig) are required"
            )
        outputs = list(outputs or [])
        self.output_notebook_data: PipelineData | None = None
        if output_notebook_pipeline_data_name is not None:
            self.output_notebook_data = PipelineData(output_notebook_pipeline_data_name)
            outputs.append(self.output_notebook_data)
        super().__init__(
            name=name,
            inputs=inputs,
            outputs=outputs,
            compute_target=compute_target,
            allow_reuse=allow_reuse,
            version=version,
        )
        self.notebook_run_config = notebook_run_config
        self.script_name = notebook_run_config.notebook
        self.source_directory = notebook_run_config.source_directory
        self.runconfig = notebook_run_config.run_config
        self.runconfig_pipeline_params = runconfig_pipeline_params
        self.params = dict(params or {})

    @property
    def param_values(self) -> dict[str, Any]:
        return self.params

    def notebook_parameter_names(self) -> list[str]:
        """Every parameter the notebook is given, literal, data or pipeline parameter."""
        data = [str(input_name(i)) for i in self.inputs]
        data += [o.name for o in self.outputs if o is not self.output_notebook_data]
        return sorted({*self.notebook_run_config.parameters, *data, *self.params})

    def settings(self) -> NotebookSettings:
        config = self.notebook_run_config
        literal = {k: v for k, v in self.params.items() if not isinstance(v, PipelineParameter)}
        data = self.output_notebook_data
        return NotebookSettings(
            output_notebook=config.output_notebook.replace("\\", "/"),
            parameters={**config.parameters, **literal},
            output_notebook_data=None if data is None else data.name,
            kernel_name=config.handler.kernel_name,
            timeout=config.handler.timeout,
        )

    def definition_extras(self) -> dict[str, Any]:
        env = getattr(self.runconfig, "environment", None)
        python = getattr(env, "python", None)
        return {
            "interpreter": getattr(python, "interpreter_path", None),
            "environment_variables": dict(getattr(env, "environment_variables", None) or {}),
            "notebook": self.settings(),
        }


def notebook_problems(step: Any) -> list[tuple[str, str]]:
    """Problems of a NotebookRunnerStep's notebook and parameters, each (kind, message); none
    for other steps. A missing notebook is the step's missing script, reported once."""
    if not isinstance(step, NotebookRunnerStep):
        return []
    config = step.notebook_run_config
    found = _parameter_problems(config.parameters)
    try:
        clean_relative_path(config.output_notebook, "output_notebook")
        if PurePosixPath(config.output_notebook.replace("\\", "/")).is_absolute():
            raise UserErrorException(
                f"output_notebook '{config.output_notebook}' must be a relative path"
            )
    except UserErrorException as exc:
        found.append(("bad-output-notebook", str(exc)))
    path = os.path.join(step.source_folder, config.notebook)
    if not os.path.isfile(path):
        return found
    tagged = _has_parameters_cell(path)
    if isinstance(tagged, str):
        found.append(("bad-notebook", f"notebook '{config.notebook}' {tagged}"))
    elif not tagged and step.notebook_parameter_names():
        names = ", ".join(step.notebook_parameter_names())
        found.append(
            (
                "notebook-without-parameters-cell",
                f"notebook '{config.notebook}' has no cell tagged '{PARAMETERS_TAG}', but the "
                f"step passes it parameters ({names}); tag the cell that sets their defaults "
                f"'{PARAMETERS_TAG}'",
            )
        )
    return found


def _parameter_problems(parameters: dict[Any, Any]) -> list[tuple[str, str]]:
    found = []
    for key, value in parameters.items():
        if not isinstance(key, str) or not IDENTIFIER.match(key) or keyword.iskeyword(key):
            found.append(
                ("bad-notebook-parameter", f"notebook parameter {key!r} is not a Python name")
            )
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            found.append(
                (
                    "bad-notebook-parameter",
                    f"notebook parameter '{key}' = {value!r} is not a string, number, bool, "
                    "None, list or dict",
                )
            )
    return found


def _has_parameters_cell(path: str) -> bool | str:
    """Whether the notebook tags a cell 'parameters'; a string saying why it is no notebook."""
    try:
        with open(path, encoding="utf-8") as file:
            notebook = json.load(file)
    except (OSError, ValueError) as exc:
        return f"is not a readable notebook (JSON): {exc}"
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return "is not a notebook: it has no list of cells"
    return any(
        PARAMETERS_TAG in ((cell.get("metadata") or {}).get("tags") or [])
        for cell in cells
        if isinstance(cell, dict)
    )
