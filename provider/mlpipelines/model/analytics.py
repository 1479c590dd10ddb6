"""Analytics steps: a SQL script over the step's inputs, run on embedded DuckDB."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException
from mlpipelines.model.steps import Step, warn_ignored_hash_paths
from mlpipelines.records.numbers import is_whole


class AdlaStep(Step):
    """Runs the SQL script ``script_name`` over the step's inputs, each a view named after it.

    The script creates a view or table named after each output, which is written as Parquet;
    ``params`` are read in SQL with ``getvariable('name')``. ``degree_of_parallelism`` becomes
    DuckDB's ``threads``; ``priority`` and ``runtime_version`` only meant something on Azure
    Data Lake Analytics and are accepted so old code still runs.
    """

    kind: ClassVar[str] = "analytics"

    def __init__(
        self,
        script_name: str,
        name: str | None = None,
        inputs: list[Any] | None = None,
        outputs: list[Any] | None = None,
        params: dict[str, Any] | None = None,
        degree_of_parallelism: int | None = None,
        priority: int | None = None,
        runtime_version: str | None = None,
        compute_target: Any = None,
        source_directory: str | os.PathLike[str] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: list[str] | None = None,
    ) -> None:
        super().__init__(
            name=name if name is not None else str(script_name),
            inputs=inputs,
            outputs=outputs,
            compute_target=compute_target,
            allow_reuse=allow_reuse,
            version=version,
        )
        if degree_of_parallelism is not None and not is_whole(degree_of_parallelism, 1):
            raise UserErrorException(
                f"step '{self.name}': degree_of_parallelism must be a positive integer, "
                f"got {degree_of_parallelism!r}"
            )
        self.script_name = script_name
        self.source_directory = None if source_directory is None else os.fspath(source_directory)
        self.params = dict(params or {})
        self.degree_of_parallelism = degree_of_parallelism
        self.priority = priority
        self.runtime_version = runtime_version
        self.hash_paths = hash_paths
        if hash_paths:
            warn_ignored_hash_paths(self.name)

    @property
    def param_values(self) -> dict[str, Any]:
        return self.params

    @property
    def argument_values(self) -> list[Any]:
        return []

    def definition_extras(self) -> dict[str, Any]:
        return {"threads": self.degree_of_parallelism}


class AnalyticsStep(AdlaStep):
    """``AdlaStep`` under the name that says what it is: a SQL step, on DuckDB by default."""
