"""ParallelRunConfig and ParallelRunStep: an entry script's ``run(mini_batch)`` over every
mini-batch of a File or Tabular dataset, in several worker processes.

Malformed settings are refused when the step is defined, naming the step and each problem;
the translator renders the step as a TaskGroup of planning, mapped and gathering tasks.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException
from mlpipelines.model.data import PipelineData
from mlpipelines.model.dataset import DatasetConsumptionConfig
from mlpipelines.model.steps import Step, warn_ignored_hash_paths
from mlpipelines.records.parallel_run import (
    DEFAULT_APPEND_ROW_FILE,
    OUTPUT_ACTIONS,
    ParallelRunSettings,
    parse_mini_batch_size,
)

DEFAULT_MINI_BATCH_SIZE = {"file": "10", "tabular": "1MB"}


class ParallelRunConfig:
    """How a ParallelRunStep runs (the Azure ML SDK's class, same arguments).

    ``mini_batch_size``: files per mini-batch for a FileDataset (default 10), or a size such
    as ``"1MB"`` (default for a TabularDataset: rows read up to about that many bytes; a
    count is rows). ``error_threshold``: failed items tolerated (-1: any). ``output_action``:
    ``"append_row"`` (each result row appended to ``append_row_file_name`` in the output) or
    ``"summary_only"``. ``process_count_per_node`` worker processes in each of ``node_count``
    mapped tasks; ``run_invocation_timeout`` seconds per ``run()`` call.
    """

    def __init__(
        self,
        environment: Any = None,
        entry_script: str | None = None,
        error_threshold: int = -1,
        output_action: str = "append_row",
        compute_target: Any = None,
        node_count: int = 1,
        process_count_per_node: int | None = None,
        mini_batch_size: int | str | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        description: str | None = None,
        logging_level: str = "INFO",
        run_invocation_timeout: int = 60,
        run_max_try: int = 3,
        append_row_file_name: str | None = None,
        allowed_failed_count: int | None = None,
        allowed_failed_percent: float | None = None,
        partition_keys: list[str] | None = None,
        environment_variables: dict[str, str] | None = None,
    ) -> None:
        self.environment = environment
        self.entry_script = entry_script
        self.error_threshold = error_threshold
        self.output_action = output_action
        self.compute_target = compute_target
        self.node_count = node_count
        self.process_count_per_node = (
            1 if process_count_per_node is None else process_count_per_node
        )
        self.mini_batch_size = mini_batch_size
        self.source_directory = None if source_directory is None else os.fspath(source_directory)
        self.description = description
        self.logging_level = logging_level
        self.run_invocation_timeout = run_invocation_timeout
        self.run_max_try = run_max_try
        self.append_row_file_name = append_row_file_name or DEFAULT_APPEND_ROW_FILE
        self.partition_keys = partition_keys
        self.environment_variables = dict(environment_variables or {})

    def problems(self) -> list[str]:
        """Every setting that cannot work, each a message naming it."""
        found = []
        script = self.entry_script
        if not isinstance(script, str) or not script.strip():
            found.append(f"entry_script {script!r} must name the script that defines run()")
        if self.mini_batch_size is not None:
            try:
                parse_mini_batch_size(self.mini_batch_size)
            except ValueError as exc:
                found.append(str(exc))
        if self.output_action not in OUTPUT_ACTIONS:
            found.append(
                f"output_action {self.output_action!r} must be one of {', '.join(OUTPUT_ACTIONS)}"
            )
        for name in ("node_count", "process_count_per_node", "run_invocation_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                found.append(f"{name} {value!r} must be a positive whole number")
        threshold = self.error_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < -1:
            found.append(f"error_threshold {threshold!r} must be -1 (no limit) or a count >= 0")
        name = self.append_row_file_name
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            found.append(f"append_row_file_name {name!r} must be a plain file name")
        if self.partition_keys:
            found.append("partition_keys is not supported; split the dataset by its files")
        return found


class ParallelRunStep(Step):
    """Runs ``parallel_run_config.entry_script`` over mini-batches of its one dataset input:
    ``init()`` once per worker process, ``run(mini_batch)`` per mini-batch, results gathered
    into ``output``."""

    kind: ClassVar[str] = "parallel_run"

    def __init__(
        self,
        name: str,
        parallel_run_config: ParallelRunConfig,
        inputs: list[Any],
        output: PipelineData | None = None,
        side_inputs: list[Any] | None = None,
        arguments: list[Any] | None = None,
        allow_reuse: bool = True,
        models: list[Any] | None = None,
        hash_paths: list[str] | None = None,
    ) -> None:
        config = parallel_run_config
        problems = _step_problems(config, inputs, output, arguments or [])
        if problems:
            raise UserErrorException(
                f"ParallelRunStep '{name}': " + "; ".join(problems)
                if len(problems) == 1
                else f"ParallelRunStep '{name}':\n  - " + "\n  - ".join(problems)
            )
        super().__init__(
            name=name,
            inputs=[*inputs, *(side_inputs or [])],
            outputs=[output] if output is not None else [],
            compute_target=config.compute_target,
            allow_reuse=allow_reuse,
            arguments=arguments,
        )
        self.parallel_run_config = config
        self.arguments = list(arguments or [])
        self.side_inputs = list(side_inputs or [])
        self.output = output
        self.script_name = config.entry_script
        self.source_directory = config.source_directory
        if hash_paths:
            warn_ignored_hash_paths(name)
        main: DatasetConsumptionConfig = inputs[0]
        self._settings = ParallelRunSettings(
            mini_batch_input=main.name,
            mini_batch_size=str(
                config.mini_batch_size or DEFAULT_MINI_BATCH_SIZE[main.dataset.kind]
            ),
            error_threshold=config.error_threshold,
            output_action=config.output_action,
            append_row_file_name=config.append_row_file_name,
            process_count_per_node=config.process_count_per_node,
            node_count=config.node_count,
            run_invocation_timeout=config.run_invocation_timeout,
        )

    @property
    def argument_values(self) -> list[Any]:
        return self.arguments

    def definition_extras(self) -> dict[str, Any]:
        env = getattr(self.parallel_run_config.environment, "environment_variables", None)
        return {
            "parallel_run": self._settings,
            "environment_variables": {
                **dict(env or {}),
                **self.parallel_run_config.environment_variables,
            },
        }


def _step_problems(config: Any, inputs: Any, output: Any, arguments: list[Any]) -> list[str]:
    """What is wrong with a ParallelRunStep's config, input, output and arguments."""
    if not isinstance(config, ParallelRunConfig):
        return [f"parallel_run_config must be a ParallelRunConfig, not {config!r}"]
    found = config.problems()
    if not isinstance(inputs, list) or len(inputs) != 1:
        found.append(
            "inputs must be a list of exactly one named FileDataset or TabularDataset "
            "(dataset.as_named_input('name')); pass other data as side_inputs"
        )
    elif not isinstance(inputs[0], DatasetConsumptionConfig):
        found.append(
            f"input {inputs[0]!r} is not a named dataset: pass dataset.as_named_input('name')"
        )
    if output is not None and not isinstance(output, PipelineData):
        found.append(f"output {output!r} must be a PipelineData")
    if output is not None and any(value is output for value in arguments):
        found.append(
            f"output '{output.name}' is written by the step from run()'s results; "
            "it cannot be an argument of the entry script"
        )
    return found
